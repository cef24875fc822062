/* Causal attention over a packed row on the CPU, for any head size that is a multiple of 8, in float32.

   A row is a list of pieces (a, b, pa, pb): queries [a, b) attend causally to keys [a, i] and, where
   pa < pb, to every key of the shared preamble [pa, pb) (prefix_attention.py says why). The tensors are
   (tokens, heads, head_dim) with the head size contiguous, as the projections write them; each is passed
   with its token and head strides. Per head, a block of R queries is scored against blocks of 16 keys
   with the keys transposed (head_dim x tokens), so that every product is a broadcast-multiply-add over
   8-wide vectors with eight independent sums; softmax runs on whole score rows, and the backward pass
   recomputes the probabilities from the saved log-sum-exp, as flash attention does.

   The vectors are GCC's generic vector extension: the compiler maps them to AVX2, AVX-512 or NEON. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));
#define W 8
#define R 4
#define MASKED (-1e30f)
#define MASKED_BELOW (-1e29f)

typedef struct { long token, head; } Strides;
typedef struct { int base, len, off; } Seg;

static inline v8 ld(const float *p) { return *(const v8u *)p; }
static inline void st(float *p, v8 x) { *(v8u *)p = x; }
static inline int up(int n) { return (n + 2 * W - 1) / (2 * W) * (2 * W); } /* a whole block of keys */

/* one head's (tokens, D) rows -> (D, Tp) columns, zero past T */
static void to_columns(const float *x, Strides s, float *xt, int T, int Tp, int D) {
    memset(xt, 0, sizeof(float) * (size_t)Tp * D);
    for (int t = 0; t < T; t++)
        for (int d = 0; d < D; d++) xt[(size_t)d * Tp + t] = x[t * s.token + d];
}

static void to_rows(const float *x, Strides s, float *rows, int T, int D) {
    for (int t = 0; t < T; t++) memcpy(rows + (size_t)t * D, x + t * s.token, sizeof(float) * D);
}

/* R rows of x from row i0 times mul; rows past the piece (r >= m) are zero */
static void load_rows(const float *x, Strides s, int i0, int m, int D, float mul, float *out) {
    for (int r = 0; r < R; r++)
        for (int d = 0; d < D; d++) out[r * D + d] = r < m ? x[(i0 + r) * s.token + d] * mul : 0.f;
}

/* out[r][off + j] = sum_d a[r][d] * cols[d][base + j] over every segment */
static void rows_by_columns(const float *a, const float *cols, int Tp, int D, const Seg *segs, int nseg,
                            float *out, int stride) {
    for (int s = 0; s < nseg; s++)
        for (int jb = 0; jb < segs[s].len; jb += 2 * W) {
            v8 acc0[R] = {0}, acc1[R] = {0};
            const float *col = cols + segs[s].base + jb;
            for (int d = 0; d < D; d++) {
                v8 k0 = ld(col + (size_t)d * Tp), k1 = ld(col + (size_t)d * Tp + W);
                for (int r = 0; r < R; r++) {
                    float x = a[r * D + d];
                    acc0[r] += x * k0;
                    acc1[r] += x * k1;
                }
            }
            for (int r = 0; r < R; r++) {
                st(out + r * stride + segs[s].off + jb, acc0[r]);
                st(out + r * stride + segs[s].off + jb + W, acc1[r]);
            }
        }
}

/* out[r][c] = sum_j w[r][off + j] * rows[base + j][c], even and odd j summed apart */
static void weights_by_rows(const float *w, int stride, const float *rows, int D, const Seg *segs, int nseg,
                            float *out) {
    for (int c = 0; c < D; c += W) {
        v8 acc0[R] = {0}, acc1[R] = {0};
        for (int s = 0; s < nseg; s++) {
            const float *row = rows + (size_t)segs[s].base * D + c, *ws = w + segs[s].off;
            int j = 0;
            for (; j + 1 < segs[s].len; j += 2) {
                v8 v0 = ld(row + (size_t)j * D), v1 = ld(row + (size_t)(j + 1) * D);
                for (int r = 0; r < R; r++) {
                    acc0[r] += ws[r * stride + j] * v0;
                    acc1[r] += ws[r * stride + j + 1] * v1;
                }
            }
            if (j < segs[s].len) {
                v8 v0 = ld(row + (size_t)j * D);
                for (int r = 0; r < R; r++) acc0[r] += ws[r * stride + j] * v0;
            }
        }
        for (int r = 0; r < R; r++) st(out + r * D + c, acc0[r] + acc1[r]);
    }
}

/* cols[d][base + j] += sum_r a[r][d] * w[r][off + j]; a row past the piece has w = 0 */
static void add_outer(const float *a, const float *w, int stride, float *cols, int Tp, int D, const Seg *segs,
                      int nseg) {
    for (int s = 0; s < nseg; s++)
        for (int jb = 0; jb < segs[s].len; jb += W) {
            v8 x[R];
            for (int r = 0; r < R; r++) x[r] = ld(w + r * stride + segs[s].off + jb);
            float *col = cols + segs[s].base + jb;
            for (int d = 0; d < D; d++) {
                const float *ad = a + d;
                v8 left = ad[0] * x[0] + ad[D] * x[1], right = ad[2 * D] * x[2] + ad[3 * D] * x[3];
                st(col + (size_t)d * Tp, ld(col + (size_t)d * Tp) + (left + right));
            }
        }
}

/* The key segments of the block at query i0 (the preamble, then its own keys up to the block's last
   query) and their scores, with every key a row may not see set to MASKED; returns the scores' width. */
static int block_scores(const float *q, const float *kt, int Tp, int D, const int *piece, int i0, Seg *segs,
                        int *nseg, float *s, int stride) {
    int a = piece[0], n1 = piece[3] - piece[2], off = 0, n2 = i0 + R - a;
    *nseg = 0;
    if (n1 > 0) {
        segs[(*nseg)++] = (Seg){piece[2], n1, 0};
        off = up(n1);
    }
    if (n2 > piece[1] - a) n2 = piece[1] - a;
    segs[(*nseg)++] = (Seg){a, n2, off};
    rows_by_columns(q, kt, Tp, D, segs, *nseg, s, stride);
    for (int r = 0; r < R; r++) {
        float *sr = s + r * stride;
        for (int j = n1; j < off; j++) sr[j] = MASKED;
        for (int j = i0 + r - a + 1; j < up(n2); j++) sr[off + j] = MASKED;
    }
    return off + up(n2);
}

/* exp(x - shift), exactly 0 where masked; the exponent is bounded below so that no lane takes the vector
   exp's slow path for huge negative inputs (e^-80 is below float resolution of any row's sum anyway) */
static inline float weight(float x, float shift) { return x > MASKED_BELOW ? expf(fmaxf(x - shift, -80.f)) : 0.f; }

int packed_attention_forward(const float *Q, Strides sq, const float *K, Strides sk, const float *V, Strides sv,
                             float *O, Strides so, float *L, int H, int T, int D, const int *pieces, int n,
                             float scale) {
    int Tp = up(T) + 2 * W;
    float *kt = malloc(sizeof(float) * Tp * D), *vr = malloc(sizeof(float) * T * D);
    float *s = malloc(sizeof(float) * R * Tp), *q = malloc(sizeof(float) * R * D), *o = malloc(sizeof(float) * R * D);
    if (!kt || !vr || !s || !q || !o) {
        free(kt); free(vr); free(s); free(q); free(o);
        return 1;
    }
    for (int h = 0; h < H; h++) {
        const float *Qh = Q + h * sq.head;
        float *Oh = O + h * so.head;
        to_columns(K + h * sk.head, sk, kt, T, Tp, D);
        to_rows(V + h * sv.head, sv, vr, T, D);
        for (int p = 0; p < n; p++) {
            const int *piece = pieces + 4 * p;
            for (int i0 = piece[0]; i0 < piece[1]; i0 += R) {
                int m = piece[1] - i0 < R ? piece[1] - i0 : R, nseg;
                Seg segs[2];
                float sum[R];
                load_rows(Qh, sq, i0, m, D, scale, q);
                int nk = block_scores(q, kt, Tp, D, piece, i0, segs, &nseg, s, Tp);
                for (int r = 0; r < R; r++) {
                    float *sr = s + r * Tp, mx = MASKED, total = 0.f;
                    for (int j = 0; j < nk; j++) mx = sr[j] > mx ? sr[j] : mx;
#pragma omp simd reduction(+:total)
                    for (int j = 0; j < nk; j++) {
                        sr[j] = weight(sr[j], mx);
                        total += sr[j];
                    }
                    sum[r] = total;
                    if (r < m) L[(size_t)h * T + i0 + r] = mx + logf(total);
                }
                weights_by_rows(s, Tp, vr, D, segs, nseg, o);
                for (int r = 0; r < m; r++)
                    for (int d = 0; d < D; d++) Oh[(i0 + r) * so.token + d] = o[r * D + d] / sum[r];
            }
        }
    }
    free(kt); free(vr); free(s); free(q); free(o);
    return 0;
}

int packed_attention_backward(const float *Q, Strides sq, const float *K, Strides sk, const float *V, Strides sv,
                              const float *O, Strides so, const float *L, const float *G, Strides sg,
                              float *dQ, float *dK, float *dV, Strides sd, int H, int T, int D, const int *pieces,
                              int n, float scale) {
    int Tp = up(T) + 2 * W;
    size_t cols = sizeof(float) * (size_t)Tp * D;
    float *kt = malloc(cols), *vt = malloc(cols), *kr = malloc(sizeof(float) * T * D), *dkt = malloc(cols),
          *dvt = malloc(cols), *s = malloc(sizeof(float) * R * Tp), *ds = malloc(sizeof(float) * R * Tp),
          *q = malloc(sizeof(float) * R * D), *qs = malloc(sizeof(float) * R * D), *g = malloc(sizeof(float) * R * D),
          *dq = malloc(sizeof(float) * R * D);
    float *all[] = {kt, vt, kr, dkt, dvt, s, ds, q, qs, g, dq};
    int missing = 0;
    for (int i = 0; i < 11; i++) missing |= all[i] == NULL;
    for (int h = 0; h < H && !missing; h++) {
        const float *Qh = Q + h * sq.head, *Oh = O + h * so.head, *Gh = G + h * sg.head;
        to_columns(K + h * sk.head, sk, kt, T, Tp, D);
        to_columns(V + h * sv.head, sv, vt, T, Tp, D);
        to_rows(K + h * sk.head, sk, kr, T, D);
        memset(dkt, 0, cols);
        memset(dvt, 0, cols);
        for (int p = 0; p < n; p++) {
            const int *piece = pieces + 4 * p;
            for (int i0 = piece[0]; i0 < piece[1]; i0 += R) {
                int m = piece[1] - i0 < R ? piece[1] - i0 : R, nseg;
                Seg segs[2];
                load_rows(Qh, sq, i0, m, D, 1.f, q);
                load_rows(Qh, sq, i0, m, D, scale, qs);
                load_rows(Gh, sg, i0, m, D, 1.f, g);  /* zero past the piece, so those rows add nothing */
                int nk = block_scores(qs, kt, Tp, D, piece, i0, segs, &nseg, s, Tp);
                rows_by_columns(g, vt, Tp, D, segs, nseg, ds, Tp);  /* dO . V */
                for (int r = 0; r < R; r++) {
                    float delta = 0.f, lse = r < m ? L[(size_t)h * T + i0 + r] : 0.f;
                    for (int d = 0; d < D && r < m; d++) delta += g[r * D + d] * Oh[(i0 + r) * so.token + d];
                    float *sr = s + r * Tp, *dr = ds + r * Tp;
#pragma omp simd
                    for (int j = 0; j < nk; j++) {
                        sr[j] = weight(sr[j], lse);               /* probabilities */
                        dr[j] = sr[j] * (dr[j] - delta) * scale;  /* gradients of the scaled scores */
                    }
                }
                add_outer(g, s, Tp, dvt, Tp, D, segs, nseg);
                add_outer(q, ds, Tp, dkt, Tp, D, segs, nseg);
                weights_by_rows(ds, Tp, kr, D, segs, nseg, dq);
                for (int r = 0; r < m; r++)
                    memcpy(dQ + h * sd.head + (i0 + r) * sd.token, dq + r * D, sizeof(float) * D);
            }
        }
        for (int t = 0; t < T; t++)
            for (int d = 0; d < D; d++) {
                dK[h * sd.head + t * sd.token + d] = dkt[(size_t)d * Tp + t];
                dV[h * sd.head + t * sd.token + d] = dvt[(size_t)d * Tp + t];
            }
    }
    for (int i = 0; i < 11; i++) free(all[i]);
    return missing;
}
