/**
 * Netlify's own rate limit on sign-in attempts, declared in code: Netlify
 * counts POST /login per client address and domain at its edge, before the
 * app runs, and answers 429 past 10 in a minute. The function itself does
 * nothing and hands the request on. The app's own counters
 * (src/login-throttle.ts) live in each edge isolate's memory; this rule is
 * the one that holds across all of Netlify's servers. See README.md.
 */
export default function loginRateLimit(): undefined {
  return undefined;
}

export const config = {
  path: "/login",
  method: ["POST"],
  rateLimit: {
    windowLimit: 10,
    windowSize: 60,
    aggregateBy: ["ip", "domain"],
  },
};
