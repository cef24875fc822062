"""C kernels for the CPU, compiled on this machine on first use (build.py), with a pure-torch fallback."""
