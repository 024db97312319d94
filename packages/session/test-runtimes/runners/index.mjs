import { bun } from "./bun.mjs";
import { deno } from "./deno.mjs";
import { edgeRuntime } from "./edge-runtime.mjs";
import { node } from "./node.mjs";
import { workerd } from "./workerd.mjs";

export const runtimes = [node, workerd, edgeRuntime, deno, bun];
export { bun, deno, edgeRuntime, node, workerd };
