#!/usr/bin/env node
// Runs one deployable of apps/ from source: `node bin/app.js feature-server`.
const fs = require('fs');
const path = require('path');
const { root } = require('./register');
const app = process.argv[2];
const main = app && path.join(root, 'apps', app, 'src', 'main.ts');
if (!main || !fs.existsSync(main)) {
  console.error(
    `usage: app.js <app>   (one of: ${fs.readdirSync(path.join(root, 'apps')).join(', ')})`,
  );
  process.exit(2);
}
process.argv.splice(2, 1);
require(main);
