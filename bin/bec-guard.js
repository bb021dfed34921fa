#!/usr/bin/env node
/**
 * The `bec-guard` executable: runs the TypeScript CLI (cli/main.ts) through ts-node in
 * transpile-only mode (type checking is the build's job, not the CLI's start-up's).
 */
"use strict";

const path = require("path");

const repo = path.resolve(__dirname, "..");
require("ts-node").register({ transpileOnly: true, project: path.join(repo, "tsconfig.json") });

const { main } = require(path.join(repo, "cli", "main.ts"));

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
        process.stderr.write(`bec-guard: ${err && err.stack ? err.stack : String(err)}\n`);
        process.exit(1);
    },
);
