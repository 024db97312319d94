/**
 * Each app's example settings file (`.env.example`, `.dev.vars.example`):
 * every setting the app reads, what it does, its default, and a line to
 * uncomment. create-hattip-session-app fills the uncommented key lines
 * (`SESSION_KEYS=`) with fresh keys when it writes `.env`.
 */
import { type App, settingsOf } from "./catalog.js";

export function envExample(app: App): string {
  const { localSettingsFile } = app.platform;
  const header =
    localSettingsFile === ".dev.vars"
      ? [
          "# Copy to .dev.vars (ignored by git): wrangler dev gives these to the worker.",
          "# Deployed, set USERS as a secret (npx wrangler secret put USERS) and the others as variables or secrets.",
        ]
      : ["# Copy to .env (ignored by git) for local settings; real environment variables win over it.", ...intro(app)];
  const blocks = settingsOf(app).map((setting) => {
    const summary = wrap(plain(setting.summary(app)));
    const value = setting.filledByCreateApp ? "" : (setting.example?.(app) ?? setting.default(app));
    return [
      ...summary,
      `# Default: ${plain(setting.default(app))}.`,
      setting.filledByCreateApp ? `${setting.name}=` : `# ${setting.name}=${value}`,
    ].join("\n");
  });
  return `${header.join("\n")}\n\n${blocks.join("\n\n")}\n`;
}

function intro(app: App): string[] {
  if (app.store.kind === "cookie") {
    return ["# create-hattip-session-app writes .env with a fresh SESSION_KEYS; npm run dev makes one if it is missing."];
  }
  if (app.platform.template === "netlify-edge") {
    return [
      "# Sessions live in Netlify Blobs: on Netlify the function reaches them with no setting; npm run dev",
      "# starts Netlify's local Blobs server (files in .netlify/blobs-serve) and points the function at it.",
    ];
  }
  return ["# npm run dev needs none of these; npm start needs the store's URL and USERS."];
}

function plain(markdown: string): string {
  return markdown.replace(/`/g, "");
}

/** `# `-prefixed lines of at most about 100 characters. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = "#";
  for (const word of text.split(" ")) {
    if (line.length + word.length + 1 > 100 && line !== "#") {
      lines.push(line);
      line = "#";
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}
