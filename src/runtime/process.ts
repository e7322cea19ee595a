// The process around a command: output written through stdout/stderr, and an exit that waits
// until both have drained, so `metallb-ts crds | kubectl apply -f -` receives every document.
import type { Io } from "./cli.js";

const drained = (stream: NodeJS.WriteStream): Promise<void> =>
  new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write("", () => resolve());
  });

export async function runProcess(main: (argv: string[], io: Io) => Promise<number>): Promise<void> {
  // A closed pipe (`metallb-ts crds | head`) ends the output, not the process with a stack trace.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  const io: Io = {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
  };
  try {
    process.exitCode = await main(process.argv.slice(2), io);
  } catch (err) {
    io.err(`metallb-ts: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  // Watches and timers may keep the loop alive after a command is done.
  process.exit();
}
