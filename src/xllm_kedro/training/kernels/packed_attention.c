/* Causal attention over a packed row on the CPU, for any head size that is a multiple of 8, in float32.

   A row is a list of pieces (a, b, pa, pb): queries [a, b) attend causally to keys [a, i] and, where
   pa < pb, to every key of the shared preamble [pa, pb) (prefix_attention.py says why). The tensors are
   (tokens, heads, head_dim) with the head size contiguous, as the projections write them; each is passed
   with its token and head strides. Per head, a block of R queries is scored against 8 keys at a time
   with the keys transposed (head_dim x tokens), so that every product is a broadcast-multiply-add over
   8-wide vectors with R independent sums (fewer would wait on the multiply-add's latency); softmax runs
   on whole score rows, and the backward pass recomputes the probabilities from the saved log-sum-exp,
   as flash attention does.

   The vectors are GCC's generic vector extension: the compiler maps them to AVX2, AVX-512 or NEON. */

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));
typedef int v8i __attribute__((vector_size(32)));
#define W 8
#define R 8  /* queries per block: a power of 2 (add_outer sums its rows as a tree) */
#define MASKED (-1e30f)
#define MASKED_BELOW (-1e29f)

typedef struct { long token, head; } Strides;
typedef struct { int base, len, off; } Seg;

static inline v8 ld(const float *p) { return *(const v8u *)p; }
static inline void st(float *p, v8 x) { *(v8u *)p = x; }
static inline int up(int n) { return (n + W - 1) / W * W; } /* whole vectors of keys */

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

/* out[r][off + j] = sum_d a[r][d] * cols[d][base + j] over every segment, 8 keys at a time: R
   independent sums */
static void rows_by_columns(const float *a, const float *cols, int Tp, int D, const Seg *segs, int nseg,
                            float *out, int stride) {
    for (int s = 0; s < nseg; s++) {
        const float *col = cols + segs[s].base;
        float *o = out + segs[s].off;
        for (int jb = 0; jb < segs[s].len; jb += W) {
            v8 acc[R] = {0};
            for (int d = 0; d < D; d++) {
                v8 k = ld(col + (size_t)d * Tp + jb);
                for (int r = 0; r < R; r++) acc[r] += a[r * D + d] * k;
            }
            for (int r = 0; r < R; r++) st(o + r * stride + jb, acc[r]);
        }
    }
}

/* out[r][c] = sum_j w[r][off + j] * rows[base + j][c], 8 columns at a time: R independent sums */
static void weights_by_rows(const float *w, int stride, const float *rows, int D, const Seg *segs, int nseg,
                            float *out) {
    for (int c = 0; c < D; c += W) {
        v8 acc[R] = {0};
        for (int s = 0; s < nseg; s++) {
            const float *row = rows + (size_t)segs[s].base * D + c, *ws = w + segs[s].off;
            for (int j = 0; j < segs[s].len; j++) {
                v8 v = ld(row + (size_t)j * D);
                for (int r = 0; r < R; r++) acc[r] += ws[r * stride + j] * v;
            }
        }
        for (int r = 0; r < R; r++) st(out + r * D + c, acc[r]);
    }
}

/* cols[d][base + j] += sum_r a[r][d] * w[r][off + j], the R products summed as a tree (not one chain);
   a row past the piece has w = 0 */
static void add_outer(const float *a, const float *w, int stride, float *cols, int Tp, int D, const Seg *segs,
                      int nseg) {
    for (int s = 0; s < nseg; s++)
        for (int jb = 0; jb < segs[s].len; jb += W) {
            v8 x[R];
            for (int r = 0; r < R; r++) x[r] = ld(w + r * stride + segs[s].off + jb);
            float *col = cols + segs[s].base + jb;
            for (int d = 0; d < D; d++) {
                v8 t[R];
                for (int r = 0; r < R; r++) t[r] = a[r * D + d] * x[r];
                for (int width = R / 2; width > 0; width /= 2)
                    for (int r = 0; r < width; r++) t[r] = t[2 * r] + t[2 * r + 1];
                st(col + (size_t)d * Tp, ld(col + (size_t)d * Tp) + t[0]);
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

static inline v8 splat(float x) { return (v8){x, x, x, x, x, x, x, x}; }
static inline v8 pick(v8i mask, v8 a, v8 b) { return (v8)((mask & (v8i)a) | (~mask & (v8i)b)); }
static inline v8 vmax(v8 a, v8 b) { return pick(a > b, a, b); }

/* e^x for x in [-87, 0]: x = n ln2 + r with |r| <= ln2 / 2 (ln2 in two parts, Cody and Waite), e^r by
   Cephes' degree-7 polynomial for expf, and 2^n written into the exponent bits */
static inline v8 vexp(v8 x) {
    v8i n = __builtin_convertvector(x * 1.44269504088896341f - 0.5f, v8i);  /* x <= 0: truncation rounds up */
    v8 nf = __builtin_convertvector(n, v8);
    v8 r = x - nf * 0.693359375f;
    r = r + nf * 2.12194440e-4f;
    v8 p = 1.9875691500e-4f * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.f;
    return (v8)((v8i)p + (n << 23));
}

/* exp(x - shift) over a row of scores, exactly 0 where masked; returns the row's sum */
static inline float weights(float *row, int n, float shift) {
    v8 total = {0};
    for (int j = 0; j < n; j += W) {
        v8 x = ld(row + j), w = vexp(vmax(x - shift, splat(-87.f)));
        w = pick(x > MASKED_BELOW, w, splat(0.f));
        st(row + j, w);
        total += w;
    }
    float sum = 0.f;
    for (int i = 0; i < W; i++) sum += total[i];
    return sum;
}

static inline float row_max(const float *row, int n) {
    v8 m = splat(MASKED);
    for (int j = 0; j < n; j += W) m = vmax(m, ld(row + j));
    float mx = m[0];
    for (int i = 1; i < W; i++) mx = m[i] > mx ? m[i] : mx;
    return mx;
}

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
                    float mx = row_max(s + r * Tp, nk);
                    sum[r] = weights(s + r * Tp, nk, mx);
                    if (r < m) L[(size_t)h * T + i0 + r] = mx + logf(sum[r]);
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
                    weights(sr, nk, lse);  /* the probabilities */
                    for (int j = 0; j < nk; j += W)  /* the gradients of the scaled scores */
                        st(dr + j, ld(sr + j) * (ld(dr + j) - delta) * scale);
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
