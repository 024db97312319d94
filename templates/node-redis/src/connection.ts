/**
 * Small helpers the store modules share: a deadline on a promise, and a
 * store URL fit for a log line (its password hidden).
 */

/** `promise`, or a rejection after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `url` with its password replaced by `***`; `setting` names it when it is not a URL at all. */
export function redactPassword(url: string, setting: string): string {
  if (!URL.canParse(url)) return `${setting} (not a valid URL)`;
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}
