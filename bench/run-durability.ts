/**
 * `npm run bench:durability`: bench/durability.ts at full length, written
 * to bench/DURABILITY.md and bench/durability.json.
 *
 *   npm run bench:durability                         5 rounds of 200 calls per operation and mode
 *   npm run bench:durability -- --quick --out DIR    1 round of 20
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measureDurability, renderDurability } from "./durability.js";
import { describeEnvironment } from "./environment.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string", default: fileURLToPath(new URL(".", import.meta.url)) },
  },
});
const options = values.quick ? { rounds: 1, perRound: 20 } : { rounds: 5, perRound: 200 };
const environment = await describeEnvironment();
console.log(
  `bench:durability: ${environment.cpus} CPUs, load ${environment.loadAverage1mAtStart.toFixed(2)}, ${options.rounds} x ${options.perRound} calls`,
);
const rows = await measureDurability(options, (line) => console.log(line));
await mkdir(values.out, { recursive: true });
await writeFile(join(values.out, "durability.json"), JSON.stringify({ environment, ...options, rows }, null, 2) + "\n");
await writeFile(join(values.out, "DURABILITY.md"), renderDurability(environment, options, rows));
console.log(`wrote ${join(values.out, "DURABILITY.md")} and durability.json`);
