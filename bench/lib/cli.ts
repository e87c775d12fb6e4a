// The command line every benchmark script shares: parse the arguments, print --help, run, print the
// report or JSON, and exit 1 only when the benchmark itself failed.
import { pathToFileURL } from "node:url";

export type BenchmarkCli<Options, Result> = {
  /** Script name in the failure message, such as "mass-expiry". */
  name: string;
  /** The script's import.meta.url: the benchmark runs only when that file is the entry point. */
  moduleUrl: string;
  help: string;
  parse: (argv: string[]) => { options: Options; json: boolean; help: boolean };
  run: (options: Options, progress: (message: string) => void) => Promise<Result>;
  format: (result: Result) => string;
  /** Returns true when the run itself went wrong, such as leftovers after cleanup, which exits 1. */
  failed?: (result: Result) => boolean;
};

/** Runs the benchmark when its script is the entry point, and does nothing when it is imported. */
export function runBenchmarkCli<Options, Result>(cli: BenchmarkCli<Options, Result>): void {
  if (!process.argv[1] || cli.moduleUrl !== pathToFileURL(process.argv[1]).href) return;

  runOnce(cli).catch((error: unknown) => {
    const cause = error instanceof Error && error.cause instanceof Error ? `\nCaused by: ${error.cause.message}` : "";
    process.stderr.write(`${cli.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}${cause}\n`);
    process.exitCode = 1;
  });
}

async function runOnce<Options, Result>(cli: BenchmarkCli<Options, Result>): Promise<void> {
  let parsed: ReturnType<typeof cli.parse>;
  try {
    parsed = cli.parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nRun with --help for the options.\n`);
    process.exitCode = 1;

    return;
  }
  if (parsed.help) {
    process.stdout.write(cli.help);

    return;
  }

  const result = await cli.run(parsed.options, (message) => process.stderr.write(`${message}\n`));
  process.stdout.write(parsed.json ? `${JSON.stringify(result, null, 2)}\n` : `${cli.format(result)}\n`);
  if (cli.failed?.(result)) process.exitCode = 1;
}
