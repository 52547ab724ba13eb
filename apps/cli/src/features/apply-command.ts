import { Command } from 'commander';

/** `fstore plan` and `fstore apply`; their code (./apply) loads when one of them runs. */
export function applyCommands(program: Command): void {
  program
    .command('plan')
    .description('What `fstore apply` would change: features, jobs, backfills (changes nothing)')
    .option('--json', 'the plan as JSON (one line on stdout)')
    .action(async (opts: { json?: boolean }) => (await import('./apply')).plan(opts));

  program
    .command('apply')
    .description(
      'Make the registry and the running jobs match features/, through the control plane',
    )
    .option('--no-backfill', 'leave the batch backfills to the schedule (the daily DAG)')
    .option('--quiet', 'no progress lines on stderr (errors and the result are printed)')
    .action(async (opts: { backfill: boolean; quiet?: boolean }) =>
      (await import('./apply')).apply(opts),
    );
}
