import type { Readable } from 'node:stream';
import type { CommandExecutor } from './infrastructure';

/** Where a tree lives: a host (through its executor) and an absolute directory on it. */
export interface TreeLocation {
  exec: CommandExecutor;
  /** Absolute path: /^\/[A-Za-z0-9._\/@+-]+$/, no '..' segment. */
  root: string;
  /** For progress and error messages (a host name). */
  label?: string;
}

/** A host to read, write or remove files on. */
export interface FileLocation {
  exec: CommandExecutor;
  label?: string;
}

export interface SyncProgress {
  phase: 'scanning' | 'transferring' | 'deleting' | 'done';
  /** Entries to transfer (files, links, directories) and how many went through. */
  filesDone: number;
  filesTotal: number;
  /** Data bytes to transfer and how many went through (never above the total until the end). */
  bytesDone: number;
  bytesTotal: number;
}

export type SyncProgressFn = (p: SyncProgress) => void | Promise<void>;

export interface SyncOptions {
  /** Also compare files of equal size by sha256 on both sides (slow: reads every such file twice). */
  checksum?: boolean;
  /** Remove target entries absent from the source (default true). */
  delete?: boolean;
  onProgress?: SyncProgressFn;
  /** Minimum time between progress reports (default 500 ms). */
  progressIntervalMs?: number;
  /**
   * The source may change while it is read (the live first pass of a move or of a frozen copy): a file that
   * changed or vanished meanwhile is copied as found or skipped, and the next pass, on a still source, fixes it.
   */
  live?: boolean;
  /**
   * When the previous, live pass began (`sourceStartedAt` of its result): files the source modified since are
   * sent again even if their size and mtime match the target's. mtimes move in kernel clock ticks (a few ms), so
   * a write in the tick in which that pass read the file leaves both sides equal while the contents differ.
   */
  modifiedSince?: string;
}

export interface SyncResult {
  /** Names in the source tree (the root included). */
  entries: number;
  /** Regular files in the source, and their bytes (a hard-linked file counted once). */
  filesTotal: number;
  bytesTotal: number;
  /** Non-directory names sent (files, each name of a hard-link group, symlinks, devices, fifos). */
  transferredFiles: number;
  /** Directories sent (new, or their owner/mode/mtime to set). */
  transferredDirs: number;
  /** File data bytes sent (a hard-linked file counted once). */
  transferredBytes: number;
  /** Target names removed (absent from the source, or of another type), with what was under them. */
  deleted: number;
  elapsedMs: number;
  /** Live passes: the source host's clock (`seconds.nanoseconds`) just before the scan, for `modifiedSince`. */
  sourceStartedAt?: string;
}

/**
 * File trees and files on hosts, moved with the hosts' own tools (find, tar, cat, dd over the executor): the
 * incremental sync of a move or a copy, archives for backups and restores. Implemented by libs/storage/src/sync.
 */
export const TREE_SYNC = Symbol('TREE_SYNC');
export interface TreeSync {
  /** Makes `dst` like `src`: only what differs moves. */
  syncTree(src: TreeLocation, dst: TreeLocation, opts?: SyncOptions): Promise<SyncResult>;
  /** A gzipped tar of the whole tree written to `sink` (ended at the end). */
  archiveTree(
    src: TreeLocation,
    sink: NodeJS.WritableStream,
    opts?: { onProgress?: SyncProgressFn },
  ): Promise<{ files: number; bytes: number }>;
  /** Extracts a tar.gz stream into `dst.root` (created if missing), keeping owners, modes, links and mtimes. */
  extractArchive(
    source: NodeJS.ReadableStream,
    dst: TreeLocation,
    opts?: { totalBytes?: number; onProgress?: SyncProgressFn },
  ): Promise<{ bytes: number }>;
  /** Writes a stream to a file on the host (its directory created), synced to disk before this resolves. */
  writeFile(loc: FileLocation, path: string, source: NodeJS.ReadableStream): Promise<{ bytes: number }>;
  /** A file on the host as a stream that ends only when the whole file was read (`done` settles the same way). */
  readFile(loc: FileLocation, path: string): Promise<{ stream: Readable; done: Promise<void> }>;
  /** rm -rf of a path on the host (validated: absolute, no '..', not '/'). */
  removePath(loc: FileLocation, path: string): Promise<void>;
  /** Validates an absolute path that will reach a host's command line; returns it without trailing slashes. */
  checkPath(path: string, what?: string): string;
}
