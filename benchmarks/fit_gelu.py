"""Fit the constants of TinyTorch's float32 exact GELU (GELU_C and GELU_POLY).

The activations module computes the normal tail Phi(-a) = P(Z > a), 0 <= a <= 15, as

    Phi(-a) = u * exp(-a^2/2 + P(u)),   u = c / (a + c),

with P a polynomial. This script finds c and P: for each c on a grid it fits P to

    y(a) = log Phi(-a) + a^2/2 - log u

(the error of P is then the relative error of Phi) by least squares in the Chebyshev
basis over u in [c / (15 + c), 1], reweighted (Lawson's method) towards the minimax
fit, and keeps the c with the smallest maximum error. The reference values come from
mpmath at 30 significant digits. The coefficients are printed times log2(e), highest
degree first, because the module evaluates exp2(P(u) log2 e).

    python benchmarks/fit_gelu.py            # degree 8, the module's choice
    python benchmarks/fit_gelu.py 9          # another degree, to compare the error

It takes a minute or two (mpmath computes about 250,000 reference values); paste
the printed GELU_C and GELU_POLY lines over the module's constants.
"""
from __future__ import annotations

import argparse
import math

import mpmath
import numpy as np

TOP = 15.0  # beyond a = 15, a * Phi(-a) is below float32's subnormals
NODES = 6000  # Chebyshev nodes of the fit
ROUNDS = 60  # Lawson reweighting rounds
C_GRID = np.arange(1.0, 6.0 + 1e-9, 0.125)

mpmath.mp.dps = 30


def log_tail_plus_half_square(a: np.ndarray) -> np.ndarray:
    """log Phi(-a) + a^2/2 = log(erfc(a / sqrt 2) / 2) + a^2/2, to double precision."""
    root2 = mpmath.sqrt(2)
    return np.array([float(mpmath.log(mpmath.erfc(mpmath.mpf(v) / root2) / 2) + mpmath.mpf(v) ** 2 / 2)
                     for v in a])


def fit(c: float, degree: int) -> tuple[np.ndarray, float]:
    """P's monomial coefficients (highest first) for one c, and its maximum error."""
    lo, hi = c / (TOP + c), 1.0
    s = np.cos(np.pi * (np.arange(NODES) + 0.5) / NODES)  # Chebyshev nodes in [-1, 1]
    u = lo + (s + 1) * (hi - lo) / 2
    a = c / u - c
    y = log_tail_plus_half_square(a) - np.log(u)
    basis = np.polynomial.chebyshev.chebvander(s, degree)
    weight = np.ones(NODES)
    for _ in range(ROUNDS):  # Lawson: more weight where the error is large
        coef, *_ = np.linalg.lstsq(basis * weight[:, None], y * weight, rcond=None)
        error = basis @ coef - y
        weight *= np.sqrt(np.abs(error) / np.abs(error).max() + 1e-12)
        weight /= weight.max()
    poly = np.polynomial.Chebyshev(coef, domain=[lo, hi]).convert(kind=np.polynomial.Polynomial)
    return poly.coef[::-1], float(np.abs(error).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("degree", nargs="?", type=int, default=8, help="degree of P (default 8)")
    degree = parser.parse_args().degree
    results = [(*fit(c, degree), float(c)) for c in C_GRID]
    coef, error, c = min(results, key=lambda r: r[1])
    print(f"# degree {degree}: c = {c}, maximum relative error of Phi(-a) on [0, {TOP:g}]: {error:.2e}")
    print(f"GELU_C = {c}")
    values = ", ".join(repr(float(v)) for v in coef / math.log(2.0))
    print(f"GELU_POLY = ({values})")


if __name__ == "__main__":
    main()
