// A file operation seen in an sftp or scp stream, as the session index keeps it.
export interface FileOp {
  op: 'read' | 'write' | 'remove' | 'rename' | 'mkdir' | 'rmdir' | 'setstat' | 'symlink' | 'link';
  path: string;
  /** For rename: the new path. For symlink and link: what the new link (path) points to. */
  to?: string;
  bytes?: number;
  /** Hex sha256 of the bytes transferred; undefined when they could not be hashed in order. */
  sha256?: string;
  /** 'ok' or the failure the server reported. */
  result: string;
}
