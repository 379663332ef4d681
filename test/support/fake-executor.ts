import { HOST_HELPER_PATH } from '../../libs/domain/src/ports/host-helper';
import type { CommandExecutor, CommandResult, RunOptions } from '../../libs/domain/src/ports/infrastructure';

export const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
export const fail = (exitCode: number, stderr: string): CommandResult => ({ exitCode, stdout: '', stderr });

export type Answer = CommandResult | (() => CommandResult);

/**
 * A scripted executor for unit tests of command builders: each rule matches an argv and answers from a queue of
 * results (the last one repeats). Every call is recorded; an argv no rule matches fails the test.
 */
export class FakeExecutor implements CommandExecutor {
  readonly calls: { argv: string[]; opts: RunOptions }[] = [];
  private readonly rules: { match: (argv: readonly string[]) => boolean; answers: Answer[] }[] = [];

  on(match: (argv: readonly string[]) => boolean, ...answers: Answer[]): this {
    this.rules.push({ match, answers });
    return this;
  }

  async spawn(): Promise<never> {
    throw new Error('not supported');
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    // A host without the host helper (tested by running it: test/unit/ansible): the single commands are tested here.
    if (argv.includes(HOST_HELPER_PATH)) return fail(127, 'python3: not found');
    this.calls.push({ argv: [...argv], opts });
    const rule = this.rules.find((r) => r.match(argv));
    if (!rule) throw new Error(`unexpected command: ${JSON.stringify(argv)}`);
    const a = rule.answers.length > 1 ? rule.answers.shift()! : rule.answers[0];
    return typeof a === 'function' ? a() : { ...a };
  }

  get argvs(): string[][] {
    return this.calls.map((c) => c.argv);
  }
}
