#!/usr/bin/env node
// The fstore command.
const path = require('path');
const { root } = require('./register');
require(path.join(root, 'apps/cli/src/main.ts'));
