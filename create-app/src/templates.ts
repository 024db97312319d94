// Where the chosen template comes from: a bundled name (or, with --remote, the
// same name fetched from this project's repository), a local folder resolved
// against the folder the user ran the command in, or any giget source.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { TemplateChoice } from "./catalog.js";
import { CliError } from "./errors.js";
import type { TemplateSource } from "./scaffold.js";

/** Where --remote fetches this project's templates from. */
const REPOSITORY_TEMPLATES = "gh:hattip-session/hattip-session/templates";

export interface ResolvedTemplate {
  /** As the user named it, for messages. */
  name: string;
  source: TemplateSource;
  secrets?: TemplateChoice["secrets"];
}

export function resolveTemplate(
  name: string,
  templates: readonly TemplateChoice[],
  { remote, cwd }: { remote: boolean; cwd: string },
): ResolvedTemplate {
  if (name.startsWith(".") || name.startsWith("/") || /^[A-Za-z]:[\\/]/.test(name)) {
    const dir = resolve(cwd, name);
    if (!existsSync(join(dir, "package.json"))) throw new CliError(`${dir} is not a template folder: it has no package.json.`);
    return { name, source: { kind: "folder", dir } };
  }
  if (/^[\w+.-]+:/.test(name)) return { name, source: { kind: "giget", source: name } };
  const bundled = templates.find((template) => template.name === name);
  if (!bundled) {
    throw new CliError(
      `Unknown template "${name}". Valid templates: ${templates.map((t) => t.name).join(", ") || "(none bundled)"}.\n` +
        "A community template can be named by its giget source, e.g. gh:owner/repo/path.",
    );
  }
  const source: TemplateSource = remote
    ? { kind: "giget", source: `${REPOSITORY_TEMPLATES}/${name}`, fallbackDir: bundled.dir }
    : { kind: "folder", dir: bundled.dir };
  return bundled.secrets ? { name, source, secrets: bundled.secrets } : { name, source };
}
