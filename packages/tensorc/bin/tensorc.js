#!/usr/bin/env node
// The `tensorc` command. A committed launcher rather than dist/cli.js itself: npm links a package's bin when
// it installs, before `prepare` has built dist/, and it skips a bin whose file does not exist yet.
import '../dist/cli.js';
