// `rm -rf` for package scripts that also run on Windows: removes each path given.
import { rmSync } from "node:fs";

for (const path of process.argv.slice(2)) rmSync(path, { recursive: true, force: true });
