import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { DomainException, ErrorKind } from '../errors';

export class CommandValidationException extends DomainException<'invalid-command'> {
  readonly kind = ErrorKind.Invalid;
  constructor(readonly details: string[]) {
    super('invalid-command', details.join('; '));
  }
}

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {});
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/** Commands validate themselves: `XCommand.create(plain)` returns a valid command or throws a 400-kind error. */
export abstract class Command {
  static create<T extends Command>(this: new () => T, plain: Record<string, unknown>): T {
    const cmd = plainToInstance(this, plain);
    const errors = validateSync(cmd as object, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length) throw new CommandValidationException(flatten(errors));
    return cmd;
  }
}
