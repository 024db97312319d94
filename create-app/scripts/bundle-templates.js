// prepack: copies the monorepo's templates into this package so scaffolding
// works offline, and records the hattip-session version new apps depend on.
// Runs after `npm run build`: it reuses the scaffolder's own copy filter.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { copyTemplateFolder } from "../dist/scaffold.js";

const packageRoot = fileURLToPath(new URL("..", import.meta.url));
const source = join(packageRoot, "..", "templates");
const destination = join(packageRoot, "templates");

rmSync(destination, { recursive: true, force: true });
mkdirSync(destination);
for (const name of readdirSync(source)) {
  if (!existsSync(join(source, name, "package.json"))) {
    console.warn(`bundle-templates: skipped templates/${name}: it has no package.json`);
    continue;
  }
  copyTemplateFolder(join(source, name), join(destination, name));
  console.log(`bundle-templates: templates/${name}`);
}
const session = JSON.parse(readFileSync(join(packageRoot, "..", "packages", "session", "package.json"), "utf8"));
writeFileSync(join(destination, "bundle-info.json"), `${JSON.stringify({ hattipSessionVersion: session.version }, null, 2)}\n`);
