/** Entry for runtimes that run a module file and print (Node, Deno, Bun). */
import { runSuite } from "../suite/index.js";

const report = await runSuite({ platform: { name: "cli" } });
console.log(`SUITE-REPORT ${JSON.stringify(report)}`);
