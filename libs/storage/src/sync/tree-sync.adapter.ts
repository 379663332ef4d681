import type { TreeSync } from '@app/domain/ports';
import { archiveTree, extractArchive, readFile, removePath, writeFile } from './archive';
import { checkPath } from './paths';
import { syncTree } from './sync';

/** The domain's TREE_SYNC port: these functions, checked against the port's types here. */
export const treeSync: TreeSync = { syncTree, archiveTree, extractArchive, writeFile, readFile, removePath, checkPath };
