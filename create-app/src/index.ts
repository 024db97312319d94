#!/usr/bin/env node
// The bin entry: checks the Node version before loading anything else, because
// the scaffolder's dependencies cannot even be parsed by an old Node.
import { nodeVersionProblem } from "./node-version.js";

const problem = nodeVersionProblem(process.versions.node);
if (problem === undefined) {
  await import("./main.js");
} else {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 1;
}
