// The first thing the scaffolder does: refuse an old Node in words, before any
// module that needs a newer one is loaded (on Node 18, @clack/prompts fails to
// even link, with a SyntaxError about styleText). This file and index.ts must
// therefore stay importable by old Nodes: no imports, nothing newer than ES2022.

/** Said the same way in every README, engines field and message: "Node 20.19 or later". */
export const MINIMUM_NODE = { major: 20, minor: 19 } as const;

export function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0] = version.split(".").map((part) => Number.parseInt(part, 10));
  const supported = major > MINIMUM_NODE.major || (major === MINIMUM_NODE.major && minor >= MINIMUM_NODE.minor);
  if (supported) return undefined;
  return (
    `create-hattip-session-app needs Node ${MINIMUM_NODE.major}.${MINIMUM_NODE.minor} or later; this is Node ${version}.\n` +
    "Install a current Node from https://nodejs.org (or switch with your version manager, e.g. `nvm install 22`), then run the command again."
  );
}
