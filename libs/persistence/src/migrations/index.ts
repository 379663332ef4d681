import { Init1795300000000 } from './1795300000000-Init';

// Listed explicitly (not globbed) so they survive bundling into dist/.
export const MIGRATIONS = [Init1795300000000];
