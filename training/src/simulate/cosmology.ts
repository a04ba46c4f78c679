/**
 * Flat LambdaCDM distances (H0 = 70 km/s/Mpc, Omega_m = 0.3) for the model-b/lsst lens redshift
 * scaling. Only distance ratios are needed, so c/H0 cancels and is left out.
 */
const OMEGA_M = 0.3;

function invE(z: number): number {
  const zp = 1 + z;
  return 1 / Math.sqrt(OMEGA_M * zp * zp * zp + (1 - OMEGA_M));
}

/** Dimensionless comoving distance integral of 1/E(z) from 0 to z (composite Simpson, 512 steps). */
export function comovingDistance(z: number): number {
  if (!(z >= 0) || !Number.isFinite(z)) throw new RangeError(`redshift must be >= 0, got ${z}`);
  if (z === 0) return 0;
  const n = 512;
  const h = z / n;
  let sum = invE(0) + invE(z);
  for (let i = 1; i < n; i++) sum += (i % 2 === 1 ? 4 : 2) * invE(i * h);
  return (sum * h) / 3;
}

/** D_ls / D_s for a flat universe: (D_C(zs) - D_C(zl)) / D_C(zs); the (1+zs) factors cancel. */
export function lensingDistanceRatio(zl: number, zs: number): number {
  if (!(zs > zl)) throw new RangeError(`source redshift ${zs} must exceed lens redshift ${zl}`);
  const ds = comovingDistance(zs);
  return (ds - comovingDistance(zl)) / ds;
}

/** Reference configuration of the presets: thetaE = 1.2" at z_l = 0.5, z_s = 1.0. */
export const REFERENCE_Z = { zl: 0.5, zs: 1.0 } as const;
const REFERENCE_RATIO = lensingDistanceRatio(REFERENCE_Z.zl, REFERENCE_Z.zs);

/** Einstein radius of an SIS of fixed velocity dispersion, scaled from its value at the reference redshifts. */
export function scaledEinsteinRadius(thetaERef: number, zl: number, zs: number): number {
  return (thetaERef * lensingDistanceRatio(zl, zs)) / REFERENCE_RATIO;
}
