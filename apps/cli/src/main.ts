import { Command } from 'commander';
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { ConfigError, PROJECT_ROOT, settingsMarkdownTable } from '@fstore/config';
import { StackError } from './stack/processes';
import {
  formatStatusTable,
  logFiles,
  stackContext,
  stackDown,
  stackStatus,
  stackUp,
} from './stack/stack';
import { createKey } from './control/apikeys-command';
import { ControlPlaneError, jobsCommand } from './control/jobs-command';
import { formatJobRows, pipelineDown, pipelineStatus, pipelineUp } from './pipeline/pipeline';
import { runTests } from './test-command';
import { addUser } from './users/users-command';

const log = (message: string) => process.stderr.write(`[fstore] ${message}\n`);

/** Replaces the table that follows the README's configuration header. */
function updateReadmeTable(): void {
  const file = join(PROJECT_ROOT, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const start = readme.indexOf('| variable | default | meaning |');
  if (start < 0) throw new Error('README.md has no configuration table');
  const end = readme.indexOf('\n\n', start);
  writeFileSync(file, readme.slice(0, start) + settingsMarkdownTable() + readme.slice(end));
}

const program = new Command('fstore').description('Feature store: local stack, pipeline and jobs');

program
  .command('up')
  .description('Install and run the whole system locally: every service, then the pipeline')
  .action(async () => {
    const ctx = stackContext(log);
    const rows = await stackUp(ctx, []);
    const jobs = await pipelineUp(ctx);
    console.log(formatStatusTable(rows));
    console.log();
    console.log(formatJobRows(jobs));
  });

const pipeline = program.command('pipeline').description('The streaming feature pipeline');

pipeline
  .command('up')
  .description('Start the feature writer and the four Flink SQL jobs (no duplicates on a rerun)')
  .action(async () => console.log(formatJobRows(await pipelineUp(stackContext(log)))));

pipeline
  .command('down')
  .description('Stop the jobs with savepoints (the next `up` resumes from them) and the writer')
  .action(async () => console.log(formatJobRows(await pipelineDown(stackContext(log)))));

pipeline
  .command('status')
  .description('The four jobs: state and record counts')
  .action(async () => console.log(formatJobRows(await pipelineStatus(stackContext()))));

const stack = program.command('stack').description('The local stack of real services');

stack
  .command('up [components...]')
  .description('Install what is missing, start what is not running, wait until healthy')
  .action(async (components: string[]) => {
    const rows = await stackUp(stackContext(log), components);
    console.log(formatStatusTable(rows));
  });

stack
  .command('down [components...]')
  .description('Stop what this stack started (data is kept)')
  .action(async (components: string[]) => stackDown(stackContext(log), components));

stack
  .command('status [components...]')
  .description('One row per process: pid, address, health by a real round trip')
  .action(async (components: string[]) => {
    const rows = await stackStatus(stackContext(), components);
    console.log(formatStatusTable(rows));
    if (rows.some((r) => !r.healthy)) process.exitCode = 1;
  });

stack
  .command('logs <component>')
  .description('Print the last lines of a component’s (or one process’s) log')
  .option('-n, --lines <n>', 'lines per log', '100')
  .action((component: string, opts: { lines: string }) => {
    for (const file of logFiles(stackContext(), component)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      console.log(`==> ${file} <==`);
      console.log(lines.slice(-Number(opts.lines) - 1).join('\n'));
    }
  });

program
  .command('users')
  .description('Users who may log in to the services')
  .command('add <email>')
  .description('Create or update a user; the password comes from stdin or FSTORE_NEW_USER_PASSWORD')
  .requiredOption('--role <role>', 'admin, operator, viewer or reader (serving, read-only)')
  .action(async (email: string, opts: { role: string }) => {
    await addUser(email, opts.role);
    log(`user ${email} (${opts.role}) saved`);
  });

program
  .command('apikeys')
  .description('API keys of the control plane')
  .command('create')
  .description('Create an API key; it is printed once (only its sha256 is stored)')
  .requiredOption('--role <role>', 'admin, operator or viewer')
  .option('--name <name>', 'who or what uses it (shown in the audit log)', 'cli')
  .action(async (opts: { role: string; name: string }) => {
    console.log(await createKey(opts.role, opts.name));
    log(`API key "${opts.name}" (${opts.role}) created; it will not be shown again`);
  });

program.addCommand(jobsCommand());

program
  .command('config')
  .description('Print the configuration reference (every environment variable and its default)')
  .option('--update-readme', "rewrite README.md's configuration table from it")
  .action((opts: { updateReadme?: boolean }) => {
    if (opts.updateReadme) updateReadmeTable();
    else console.log(settingsMarkdownTable());
  });

program
  .command('test')
  .description('Run the whole test suite: bring up the stack, lint, unit and medium tests, Python')
  .action(async () => {
    process.exitCode = await runTests(log);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  const expected =
    e instanceof StackError || e instanceof ConfigError || e instanceof ControlPlaneError;
  const message = e instanceof Error ? e.message : String(e);
  log(`error: ${message}`);
  if (!expected && process.env.FSTORE_DEBUG && e instanceof Error) log(e.stack ?? '');
  process.exit(1);
});
