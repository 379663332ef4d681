/** Resource names: they reach container names, SQL identifiers and (later) shell arguments on hosts. */
export const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;
export const NAME_MESSAGE = 'name must be 3-40 characters: a lowercase letter, then lowercase letters, digits or "-"';
/** Host labels, e.g. rack=r1, hypervisor=hv-3. */
export const LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
