/** Server settings from the environment, with local defaults. */
import path from 'node:path';
import { secretFile } from '../db/url';
import { dataDir } from '../storage/dirs';

const MB = 1024 * 1024;

const envNumber = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

/** Read on each use, so the environment (and tests) can change them. */
export const limits = {
  /** Largest model upload (all files of a TF.js model together): PCACE_MAX_MODEL_MB, default 200. */
  get modelBytes() {
    return envNumber('PCACE_MAX_MODEL_MB', 200) * MB;
  },
  /** Largest dataset upload (zip, csv + images zip, npy): PCACE_MAX_DATASET_MB, default 1024. */
  get datasetBytes() {
    return envNumber('PCACE_MAX_DATASET_MB', 1024) * MB;
  },
  /** Sign-in: failures per email+IP within the window before refusing. */
  loginFailures: 5,
  loginWindowMs: 15 * 60 * 1000,
  /** Sign-up: accounts per IP per hour. */
  get signupsPerHour() {
    return envNumber('PCACE_SIGNUPS_PER_HOUR', 20);
  },
  invitationDays: 7,
  /** Sessions: days a session cookie lasts without use (PCACE_SESSION_DAYS, default 7). */
  get sessionDays() {
    return envNumber('PCACE_SESSION_DAYS', 7);
  },
};

/**
 * Secret signing the session JWTs: NEXTAUTH_SECRET (or AUTH_SECRET). Without
 * one, a random secret is created once in `.data/auth-secret` so that every
 * process of a local installation (dev server, workers, tests) agrees.
 */
export function authSecret(): string {
  const fromEnv = process.env.NEXTAUTH_SECRET || process.env.AUTH_SECRET;
  if (fromEnv) return fromEnv;
  const secret = secretFile(path.join(dataDir(), 'auth-secret'), 32);
  process.env.NEXTAUTH_SECRET = secret;
  return secret;
}

/** OAuth providers are offered only when their credentials are configured. */
export function oauthConfig() {
  const env = process.env;
  return {
    github: env.GITHUB_ID && env.GITHUB_SECRET ? { clientId: env.GITHUB_ID, clientSecret: env.GITHUB_SECRET } : null,
    google: env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET ? { clientId: env.GOOGLE_CLIENT_ID, clientSecret: env.GOOGLE_CLIENT_SECRET } : null,
  };
}
