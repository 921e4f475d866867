/**
 * Password strength: zxcvbn (the @zxcvbn-ts port), which estimates how many
 * guesses a cracker needs from common passwords (its ~30k-entry list), names,
 * English words, keyboard patterns, dates, repeats and l33t spellings, and the
 * user's own email and name. A length rule alone accepts `password12`.
 * Score 3 means about 10^8 guesses or more: "safely unguessable" online, and
 * costly offline against argon2id.
 */
import { ZxcvbnFactory, type ZxcvbnResult } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';

export const PASSWORD_MIN_SCORE = 3;

let estimator: ZxcvbnFactory | undefined;
function zxcvbn(): ZxcvbnFactory {
  // Built on first use: the dictionaries take a moment to index.
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
  });
  return estimator;
}

export interface PasswordVerdict {
  ok: boolean;
  score: number;
  /** The estimator's warning and suggestions, one sentence each, for the form field. */
  feedback: string;
}

/** The words of the email and name, which a guesser targeting this account tries first. */
function personalWords(context: { email?: string; name?: string }): string[] {
  const words = new Set<string>(['pcace', 'pcacelab']);
  const email = context.email?.trim().toLowerCase();
  if (email) {
    words.add(email);
    const local = email.split('@')[0];
    if (local) words.add(local);
    for (const w of email.split(/[^a-z0-9]+/)) if (w.length >= 3) words.add(w);
  }
  for (const w of (context.name ?? '').toLowerCase().split(/\s+/)) if (w.length >= 3) words.add(w);
  return [...words];
}

export function checkPasswordStrength(password: string, context: { email?: string; name?: string } = {}): PasswordVerdict {
  // The estimator's cost grows with length; beyond 100 characters the score only rises.
  const result: ZxcvbnResult = zxcvbn().check(password.slice(0, 100), personalWords(context));
  const ok = result.score >= PASSWORD_MIN_SCORE;
  const parts = [result.feedback.warning, ...result.feedback.suggestions].filter((p): p is string => !!p);
  if (!ok && parts.length === 0) parts.push('Add another word or two; uncommon words are better.');
  return { ok, score: result.score, feedback: parts.join(' ') };
}
