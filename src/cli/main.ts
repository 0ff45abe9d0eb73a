// The `stevedore` command: parses the arguments, hands each command its dependencies, and
// turns a usage mistake into exit code 64 with a message that says what to change.

import { Command, CommanderError } from 'commander';
import { silentLogger, type Logger } from '../log.js';
import { openStore, stevedoreHome } from '../store/open.js';
import { classifyCommand } from './classify.js';
import { gcCommand } from './gc.js';
import { jobsCommand } from './jobs.js';
import { UsageError } from './options.js';
import { rulesCommand } from './rules.js';
import { EXIT_CODES, runCommand } from './run.js';

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const home = stevedoreHome(env);
  const { stdout, stderr } = process;
  let exitCode = 0;

  const program = new Command('stevedore')
    .description("runs data-processing components as containers, through the engine's hiccups")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
    });

  const openHomeStore = () => openStoreIn(home);
  program.addCommand(
    runCommand({
      openStore: openHomeStore,
      home,
      env,
      stdout,
      stderr,
      logger: async (level) => {
        if (level === 'silent') return silentLogger;
        // Loaded only when asked for: most runs log nothing, and every run would pay for it.
        const { default: pino } = await import('pino');
        return pino({ level }, pino.destination(2)) as unknown as Logger;
      },
      setExitCode: (code) => {
        exitCode = code;
      },
    }),
  );
  program.addCommand(jobsCommand({ openStore: openHomeStore, stdout, stderr }));
  program.addCommand(gcCommand({ openStore: openHomeStore, home, env, stdout }));
  program.addCommand(rulesCommand({ stdout }));
  program.addCommand(classifyCommand({ stdout }));

  // Subcommands inherit exitOverride only when it is set before they are made.
  overrideExits(program);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' && process.exitCode !== 0
      ? process.exitCode
      : exitCode;
  } catch (err) {
    return failure(err, stderr);
  }
}

function overrideExits(command: Command): void {
  for (const sub of command.commands) {
    sub.exitOverride();
    overrideExits(sub);
  }
}

/** Opens the store, or says in one line what is wrong with the folder it lives in. */
async function openStoreIn(home: string) {
  try {
    return await openStore(home);
  } catch (err) {
    throw new UsageError(
      `cannot open stevedore's database in ${home}: ${(err as Error).message}; ` +
        'set STEVEDORE_HOME to a folder you can write',
    );
  }
}

function failure(err: unknown, stderr: NodeJS.WritableStream): number {
  if (err instanceof CommanderError) {
    // Commander has printed the message already; help and version end with code 0.
    return err.exitCode === 0 ? 0 : EXIT_CODES.usage;
  }
  if (err instanceof UsageError) {
    stderr.write(`stevedore: ${err.message}\n`);
    return EXIT_CODES.usage;
  }

  stderr.write(`stevedore: unexpected failure: ${(err as Error).stack ?? String(err)}\n`);
  return EXIT_CODES.application;
}
