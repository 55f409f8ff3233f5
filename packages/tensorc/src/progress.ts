// One progress line per stage on stderr, only when it is a terminal and not --quiet.
export function progress(quiet: boolean | undefined): (stage: string, ms: number) => void {
  const on = !quiet && process.stderr.isTTY === true;
  return (stage, ms) => { if (on) process.stderr.write(`  ${stage.padEnd(12)} ${ms.toFixed(1)} ms\n`); };
}
