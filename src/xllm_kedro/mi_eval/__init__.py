"""MI-Eval (the paper's Appendix B): English instructions, self-instruct style or from seeds, kept by
Wang et al. (2022)'s filters, translated into every target language: one multi-way set."""
