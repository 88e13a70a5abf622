// `runplane users create`: a console user of an org with a role; the password comes from stdin or a hidden prompt.
import readline from 'node:readline';
import type { Config } from '../config.ts';
import { createUser } from '../core/users.ts';
import { migrate } from '../store/migrate.ts';
import { openStore } from '../store/open.ts';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.replace(/\r?\n$/, '');
}

/** Asks on the terminal without echoing what is typed. */
function prompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const output = rl as unknown as { _writeToOutput: (text: string) => void };
    let asked = false;
    output._writeToOutput = (text: string) => {
      if (!asked) {
        process.stdout.write(text);
        asked = true;
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}

export async function createConsoleUser(
  config: Config,
  options: { org: string; email: string; role: string; passwordStdin?: boolean },
): Promise<void> {
  if (!options.passwordStdin && !process.stdin.isTTY) {
    // Without a terminal the hidden prompt would wait on input that never comes (and Node then exits silently).
    throw new Error(
      'no terminal to ask for the password on; pipe it in with --password-stdin, e.g. ' +
        '`printf \'%s\' "$PASSWORD" | runplane users create … --password-stdin`',
    );
  }
  const password = options.passwordStdin ? await readStdin() : await prompt(`password for ${options.email}: `);
  const db = await openStore(config);
  try {
    await migrate(db);
    await createUser(db, { orgSlug: options.org, email: options.email, role: options.role, password });
  } finally {
    await db.close();
  }
  console.log(`user ${options.email} is ${options.role} of org ${options.org}; log in at /console/login`);
}
