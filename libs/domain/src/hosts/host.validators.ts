import { ValidateBy, type ValidationArguments } from 'class-validator';
import { LABEL_PATTERN } from '../shared';
import { fencingProblem } from './fencing';

/** Labels place databases by failure domain (rack, hypervisor); keys and values reach hosts' commands, so they are strict. */
export const IsLabels = () =>
  ValidateBy({
    name: 'isLabels',
    validator: {
      validate: (v: unknown) =>
        typeof v === 'object' &&
        v !== null &&
        !Array.isArray(v) &&
        Object.keys(v).length <= 32 &&
        Object.entries(v).every(
          ([k, val]) => LABEL_PATTERN.test(k) && typeof val === 'string' && LABEL_PATTERN.test(val),
        ),
      defaultMessage: () => 'labels must be an object of at most 32 key: value strings of [A-Za-z0-9._-], 1-63 chars',
    },
  });

/**
 * How the host is fenced: a fence agent named from the control plane's allow-list with its parameters, or `ssh`
 * (`poweroff -f`, which never confirms a fence alone). An argv is refused: the caller never chooses a program.
 */
export const IsFencing = () =>
  ValidateBy({
    name: 'isFencing',
    validator: {
      validate: (v: unknown) => fencingProblem(v) === null,
      defaultMessage: (args?: ValidationArguments) => fencingProblem(args?.value) ?? 'fencing is not valid',
    },
  });
