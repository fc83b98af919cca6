// Rule packs of the command guard: each looks at one unwrapped argv (command name first, lowercase
// basename) and returns reasons. Packs: filesystem, disk, permissions, privilege, credentials, logs,
// git, cloud/infra, databases, system, network, and a generic destructive-subcommand heuristic.
import type { Reason } from './types.ts';

/** The argv as the packs see it: name (basename, lowercase), args, and whether every word was literal. */
export interface Argv { name: string; args: string[]; literal: boolean }

const G = 'command_guard' as const;
const hit = (rule: string, weight: number, detail?: string): Reason => ({ guard: G, rule, weight, ...(detail ? { detail } : {}) });

const SYSTEM_DIRS = new Set(['/', '/*', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/lib64', '/opt', '/proc', '/root', '/sbin', '/srv', '/sys', '/usr', '/var', '/mnt', '/media', '/snap', '/users', '/system', '/library', '/applications', 'c:\\', 'c:/']);
const HOME = /^(?:~|\$home|\$\{home\}|\/home\/[^/]+|\/users\/[^/]+|\/root)\/?\*?$/;
const TEMP = /^(?:\/tmp\/|\/var\/tmp\/|\$tmpdir\/|\$\{tmpdir\}\/|\$\{tmpdir:-\/(?:var\/)?tmp\}\/|\.\/tmp\/|tmp\/)/;
const SECRET_PATH = /(?:^|\/)(?:\.ssh\/(?:id_|.*key)|id_rsa|id_ed25519|id_ecdsa|\.aws\/credentials|\.netrc|\.git-credentials|\.pgpass|\.npmrc|\.pypirc|\.docker\/config\.json|\.kube\/config|shadow$|gshadow$|\.gnupg\/|\.env(?:\.[a-z]+)?$|credentials\.json$|\.vault-token|master\.key$)/;
const DEVICE = /^\/dev\/(?:sd|hd|vd|xvd|nvme|mmcblk|disk|md|mapper|dm-|loop|rdisk)/;
const INTERPRETERS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'ash', 'csh', 'tcsh', 'python', 'python2', 'python3', 'perl', 'ruby', 'node', 'nodejs', 'deno', 'bun', 'php', 'lua', 'osascript', 'pwsh', 'powershell', 'iex', 'source', '.']);

/** True for names that run code from stdin or a string. */
export function isInterpreter(name: string): boolean {
  return INTERPRETERS.has(name) || /^python\d/.test(name);
}

function norm(p: string): string {
  return p.toLowerCase().replace(/\/+$/, (m) => (m.length === p.length ? '/' : ''));
}
/** Collapses `.` and `dir/..` segments of an absolute path (`/tmp/../etc` → `/etc`); others unchanged. */
function resolveDots(p: string): string {
  if (!p.startsWith('/') || !/(?:^|\/)\.\.?(?:\/|$)/.test(p)) return p;
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop(); else out.push(seg);
  }
  return `/${out.join('/')}`;
}
/** True when a path climbs with `..` (its real target is not what its prefix suggests). */
const CLIMBS = /(?:^|\/)\.\.(?:\/|$)/;
function isRootOrHome(p: string): boolean {
  const n = norm(resolveDots(p));
  return SYSTEM_DIRS.has(n) || SYSTEM_DIRS.has(n.replace(/\/\*$/, '')) || HOME.test(n) || n === '.' || n === '..' || n === '*' || n === '.*' || n === '~/' || /^\/[a-z0-9_.-]+\/?\*?$/.test(n) && SYSTEM_DIRS.has(n.replace(/\/?\*?$/, ''));
}
/** True for paths that hold credentials. */
export function isSecretPath(p: string): boolean { return SECRET_PATH.test(p.toLowerCase()); }

/** Splits args into short-flag letters, long flags and operands (stops flag parsing at `--`). */
function flags(args: string[]): { short: Set<string>; long: Set<string>; operands: string[] } {
  const short = new Set<string>(), long = new Set<string>(), operands: string[] = [];
  let done = false;
  for (const a of args) {
    if (!done && a === '--') { done = true; continue; }
    if (!done && a.startsWith('--')) long.add(a.split('=')[0]!.toLowerCase());
    else if (!done && a.startsWith('-') && a.length > 1) for (const c of a.slice(1)) short.add(c);
    else operands.push(a);
  }
  return { short, long, operands };
}

function rm(a: Argv): Reason[] {
  const f = flags(a.args);
  const recursive = f.short.has('r') || f.short.has('R') || f.long.has('--recursive');
  const force = f.short.has('f') || f.long.has('--force');
  if (f.long.has('--no-preserve-root')) return [hit('fs.rm_no_preserve_root', 100)];
  const out: Reason[] = [];
  const targets = f.operands;
  if (recursive && targets.some(isRootOrHome)) out.push(hit('fs.rm_recursive_root_or_home', 90, targets.find(isRootOrHome)));
  else if (recursive && targets.length > 0 && targets.every((t) => TEMP.test(t.toLowerCase()) && !CLIMBS.test(t))) out.push(hit('fs.rm_recursive_temp', 5));
  else if (recursive && force) out.push(hit('fs.rm_recursive_force', 45));
  else if (recursive) out.push(hit('fs.rm_recursive', 35));
  if (targets.some(isSecretPath)) out.push(hit('cred.delete_secret_file', 45));
  if (targets.some((t) => /(?:^|\/)\.(?:bash_|zsh_)?history$|^\/var\/log/.test(t))) out.push(hit('logs.wipe_history', 60));
  return out;
}

function git(a: Argv): Reason[] {
  const args = a.args;
  const out: Reason[] = [];
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-')) {
    const o = args[i]!;
    if (o === '-c' || o === '--config-env') { const kv = (args[i + 1] ?? '').toLowerCase(); if (/pager|editor|sshcommand|fsmonitor|hookspath|alias|askpass|credential|textconv|filter|diff\.external|gpg\.program/.test(kv)) out.push(hit('git.config_exec', 45, kv)); i += 2; continue; }
    if (o === '-C' || o === '--git-dir' || o === '--work-tree') { i += 2; continue; }
    i++;
  }
  const sub = args[i] ?? '';
  const rest = args.slice(i + 1);
  const f = flags(rest);
  const has = (...xs: string[]): boolean => xs.some((x) => (x.startsWith('--') ? f.long.has(x) : f.short.has(x.slice(1))));
  switch (sub) {
    case 'push':
      if (has('-f', '--force', '--force-if-includes') || rest.some((r) => /^\+[^+]/.test(r)) || rest.some((r) => /^--force=/.test(r))) out.push(hit('git.force_push', 55));
      else if (rest.some((r) => r.startsWith('--force-with-lease'))) out.push(hit('git.force_with_lease', 10));
      if (has('-d', '--delete', '--mirror', '--prune') || rest.some((r) => /^:[^:]/.test(r))) out.push(hit('git.push_delete', 40));
      break;
    case 'reset': if (has('--hard', '--merge', '--keep')) out.push(hit('git.reset_hard', 45)); break;
    case 'clean': if (has('-f', '--force')) out.push(hit('git.clean_force', 45)); break;
    case 'checkout': if (rest.includes('--') || has('-f', '--force') || rest.includes('.')) out.push(hit('git.checkout_discard', 40)); break;
    case 'restore': if (!has('--staged', '-S') || has('--worktree', '-W')) out.push(hit('git.restore_discard', 40)); break;
    case 'switch': if (has('-f', '--force', '--discard-changes')) out.push(hit('git.switch_discard', 40)); break;
    case 'branch': if (has('-D') || (has('-d', '--delete') && has('-f', '--force'))) out.push(hit('git.branch_force_delete', 40)); break;
    case 'stash': if (rest[0] === 'drop' || rest[0] === 'clear') out.push(hit('git.stash_drop', 40)); break;
    case 'filter-branch': case 'filter-repo': out.push(hit('git.rewrite_history', 45)); break;
    case 'reflog': if (rest[0] === 'expire' || rest[0] === 'delete') out.push(hit('git.reflog_expire', 45)); break;
    case 'gc': if (rest.some((r) => r.startsWith('--prune'))) out.push(hit('git.gc_prune', 40)); break;
    case 'rebase': case 'commit': if (has('--exec', '-x')) out.push(hit('git.exec_option', 35)); break;
    case 'update-ref': if (has('-d')) out.push(hit('git.update_ref_delete', 40)); break;
    case 'rm': if (has('-r', '-f', '--force')) out.push(hit('git.rm_recursive', 35)); break;
  }
  return out;
}

function dd(a: Argv): Reason[] {
  const of = a.args.find((x) => x.startsWith('of='))?.slice(3) ?? '';
  if (DEVICE.test(of)) return [hit('disk.dd_to_device', 90, of)];
  if (of && (isRootOrHome(of) || of.startsWith('/etc/') || of.startsWith('/boot'))) return [hit('disk.dd_overwrite_system', 80, of)];
  if (a.args.some((x) => /^if=\/dev\/(?:zero|urandom|random)$/.test(x))) return [hit('disk.dd_wipe', 45)];
  return [hit('disk.dd', 20)];
}

function chmodLike(a: Argv): Reason[] {
  const f = flags(a.args);
  const recursive = f.short.has('R') || f.long.has('--recursive');
  const mode = f.operands[0] ?? '';
  const targets = f.operands.slice(a.name === 'chmod' ? 1 : 1);
  const out: Reason[] = [];
  const wide = a.name === 'chmod' && (/^0?[0-7]?7[0-7]7$/.test(mode) || /^0?777$/.test(mode) || /(?:^|,)(?:a|o|ugo)?\+[rwx]*w/.test(mode) && /^(?:a|o|ugo)/.test(mode));
  if (recursive && targets.some(isRootOrHome)) out.push(hit(`perm.${a.name}_recursive_system`, 80, targets.find(isRootOrHome)));
  else if (wide) out.push(hit('perm.world_writable', 40, mode));
  if (a.name === 'chmod' && /(?:^|[,+])[ugoa]*\+[rwx]*s|^[0-7]?[4-7][0-7]{3}$/.test(mode) && mode.length >= 2 && !/^0?[0-7]{3}$/.test(mode)) out.push(hit('priv.setuid_bit', 45, mode));
  return out;
}

const DESTRUCTIVE_SUB = /^(?:delete|destroy|drop|purge|remove|rm|rb|rmi|terminate|wipe|erase|truncate|uninstall|prune|flush|flushall|flushdb|revoke|deregister|unregister|decommission|nuke|kill|disable|reset|forget)$|^(?:delete|remove|destroy|terminate|purge|drop|deregister)[-_:]/;
// Any word that names deletion (kafka-delete-records, doDelete, rdelete, DELETE as an HTTP method).
const DELETE_WORD = /delete|destroy|purge|terminate/;
const DESTRUCTIVE_FLAG = /^--(?:[a-z]+-)*(?:delete|purge|destroy|drop|prune|wipe|remove|erase|unsafe)(?:-[a-z]+)*$|^--(?:permanent|hard-delete|recursive)$/;
// Commands that only describe or print their operands; a destructive word there runs nothing.
const NON_EXEC = new Set(['echo', 'printf', 'type', 'which', 'whereis', 'whatis', 'man', 'info', 'help', 'hash', 'apropos', 'command', 'grep', 'egrep', 'fgrep', 'rg', 'ag', 'ack', 'cat', 'less', 'more', 'head', 'tail', 'wc', 'test', '[', '[[', 'git', 'find', 'xargs', 'true', 'false', ':', 'alias', 'compgen', 'tldr']);

/** Runs every pack over one argv. */
export function argvRules(a: Argv): Reason[] {
  const n = a.name;
  const args = a.args;
  const lower = args.map((x) => x.toLowerCase());
  const out: Reason[] = [];
  if (n === 'rm' || n === 'unlink' || n === 'rmdir') out.push(...rm(a));
  else if (n === 'git') out.push(...git(a));
  else if (n === 'dd') out.push(...dd(a));
  else if (n === 'chmod' || n === 'chown' || n === 'chgrp' || n === 'setfacl') out.push(...chmodLike(a));
  else if (/^mkfs(?:\.|$)|^mke2fs$|^mkswap$|^(?:fdisk|sfdisk|cfdisk|gdisk|sgdisk|parted|wipefs|blkdiscard|zpool|pvremove|vgremove|lvremove|cryptsetup)$/.test(n)) out.push(hit('disk.partition_or_format', 80, n));
  else if (n === 'shred' || n === 'wipe' || n === 'srm') out.push(hit('fs.shred', 60));
  else if (n === 'truncate' && lower.some((x) => /^(?:-s|--size)(?:=?0)?$/.test(x))) out.push(hit('fs.truncate', 40));
  else if (n === 'find' && lower.includes('-delete')) out.push(hit('fs.find_delete', 45));
  else if (n === 'mv' && (lower.includes('/dev/null') || args.slice(0, -1).some(isRootOrHome))) out.push(hit('fs.mv_destroy', 60));
  else if (n === 'sudo' || n === 'doas' || n === 'pkexec') out.push(hit('priv.sudo', 15));
  else if (n === 'su' || n === 'runuser') out.push(hit('priv.su', 30));
  else if (n === 'visudo' || (n === 'usermod' && lower.some((x) => /sudo|wheel|admin|root/.test(x))) || n === 'passwd' || n === 'chpasswd') out.push(hit('priv.account_change', 45));
  else if (n === 'history' && lower.some((x) => x === '-c' || x === '-w' || x === '-d')) out.push(hit('logs.wipe_history', 60));
  else if (n === 'journalctl' && lower.some((x) => x.startsWith('--vacuum') || x === '--rotate')) out.push(hit('logs.vacuum_journal', 50));
  else if ((n === 'unset' || n === 'export') && lower.some((x) => /^histfile|^histsize=0|^histfile=\/dev\/null/.test(x))) out.push(hit('logs.disable_history', 50));
  else if (/^(?:shutdown|reboot|halt|poweroff)$/.test(n) || (n === 'init' && /^[06]$/.test(lower[0] ?? '')) || (n === 'systemctl' && /^(?:poweroff|reboot|halt|kexec)$/.test(lower[0] ?? ''))) out.push(hit('system.shutdown', 50));
  else if ((n === 'kill' && lower.includes('-1') && lower.some((x) => x === '-9' || x === '-kill')) || n === 'killall5') out.push(hit('system.kill_all', 60));
  else if ((n === 'iptables' || n === 'ip6tables' || n === 'nft') && lower.some((x) => x === '-f' || x === '--flush' || x === 'flush')) out.push(hit('system.firewall_flush', 50));
  else if (n === 'ufw' && lower[0] === 'disable') out.push(hit('system.firewall_disable', 45));
  else if (n === 'crontab' && lower.includes('-r')) out.push(hit('system.crontab_remove', 50));
  else if ((n === 'userdel' || n === 'deluser' || n === 'groupdel')) out.push(hit('system.delete_user', 45));
  else if ((n === 'nc' || n === 'ncat' || n === 'netcat') && lower.some((x) => x === '-e' || x === '-c' || x.startsWith('--exec') || x.startsWith('--sh-exec'))) out.push(hit('net.reverse_shell', 90));
  else if (n === 'socat' && lower.some((x) => /exec:|system:/.test(x))) out.push(hit('net.reverse_shell', 90));
  else if (n === 'terraform' || n === 'tofu' || n === 'pulumi' || n === 'cdk') {
    if (lower.includes('destroy') || (lower.includes('apply') && lower.includes('-destroy'))) out.push(hit('cloud.iac_destroy', 75));
  } else if (n === 'kubectl' || n === 'oc') {
    if (lower[0] === 'delete') out.push(hit(lower.some((x) => /^(?:ns|namespace|namespaces|all|--all|-a|--all-namespaces|nodes?|pv|persistentvolumes?|crd|customresourcedefinitions?)$/.test(x)) ? 'cloud.k8s_mass_delete' : 'cloud.k8s_delete', lower.some((x) => /^(?:ns|namespace|namespaces|all|--all|-a|--all-namespaces|nodes?|pv|crd)$/.test(x)) ? 70 : 45));
    else if (lower[0] === 'drain' || (lower[0] === 'scale' && lower.some((x) => /^--replicas=0$/.test(x)))) out.push(hit('cloud.k8s_disrupt', 45));
  } else if (n === 'aws' && lower.includes('s3') && (lower.includes('rb') || (lower.includes('rm') && lower.includes('--recursive')))) out.push(hit('cloud.s3_mass_delete', 75));
  else if (n === 'gsutil' && (lower.includes('rb') || (lower.includes('rm') && lower.some((x) => x === '-r' || x === '-a' || x.includes('**'))))) out.push(hit('cloud.gcs_mass_delete', 75));
  else if (n === 'az' && lower[0] === 'group' && lower[1] === 'delete') out.push(hit('cloud.azure_group_delete', 75));
  else if (n === 'aws' && lower[0] === 'secretsmanager' && /^(?:put-secret-value|update-secret|rotate-secret|delete-secret|restore-secret|replicate-secret-to-regions|remove-regions-from-replication)$/.test(lower[1] ?? '')) out.push(hit('cred.cloud_secret_write', 45, lower[1]));
  else if (n === 'gcloud' && lower[0] === 'secrets' && lower.some((x) => /^(?:destroy|disable|delete|add)$/.test(x))) out.push(hit('cred.cloud_secret_write', 45));
  else if (n === 'az' && lower[0] === 'keyvault' && lower.some((x) => /^(?:set|delete|purge)$/.test(x))) out.push(hit('cred.cloud_secret_write', 45));
  else if (n === 'vault' && /^(?:kv|write|delete|destroy)$/.test(lower[0] ?? '') && lower.some((x) => /^(?:put|patch|delete|destroy|metadata|write)$/.test(x))) out.push(hit('cred.cloud_secret_write', 45));
  else if (n === 'rclone' && /^(?:sync|purge|delete|deletefile|rmdir|rmdirs|cleanup|dedupe)$/.test(lower[0] ?? '')) out.push(hit('data.sync_or_purge_remote', 45, lower[0]));
  else if ((n === 'borg' && /^(?:compact|prune|delete|recreate)$/.test(lower[0] ?? '')) || (n === 'restic' && /^(?:forget|prune)$/.test(lower[0] ?? '')) || (n === 'rsync' && lower.some((x) => /^--(?:delete|remove-source-files)/.test(x)))) out.push(hit('data.backup_or_mirror_prune', 45, n));
  else if (n === 'gh' && lower[0] === 'repo' && /^(?:delete|archive|rename|edit)$/.test(lower[1] ?? '') && (lower[1] !== 'edit' || lower.some((x) => x.startsWith('--visibility')))) out.push(hit('git.remote_repo_change', 50, `repo ${lower[1]}`));
  else if (/^(?:psql|mysql|mariadb|sqlite3|sqlcmd|clickhouse-client|cqlsh|mongo|mongosh|redis-cli)$/.test(n)) out.push(...sqlRules(args.join(' ')));
  else if (n === 'docker' || n === 'podman') {
    if (lower.includes('prune') && (lower.includes('-a') || lower.includes('--all') || lower.includes('--volumes') || lower[0] === 'volume')) out.push(hit('container.prune_all', 45));
  }
  // Generic: a destructive subcommand word among the first operands, or a destructive long flag.
  if (out.length === 0 && !NON_EXEC.has(n)) {
    const ops = lower.filter((x) => !x.startsWith('-')).slice(0, 4);
    if (DELETE_WORD.test(n) || ops.some((x) => DESTRUCTIVE_SUB.test(x) || DELETE_WORD.test(x)) || lower.some((x) => DESTRUCTIVE_FLAG.test(x.split('=')[0]!))) out.push(hit('generic.destructive_subcommand', 35, n));
  }
  return out;
}

/** SQL and key-value statements passed on a command line or in a heredoc. */
export function sqlRules(text: string): Reason[] {
  const t = text.toLowerCase();
  const out: Reason[] = [];
  if (/\bdrop\s(?:database|schema|table|keyspace|collection|index)\b|\bdropdatabase\(|\.drop\(\)/.test(t)) out.push(hit('db.drop', 70));
  if (/\btruncate\s(?:table\s)?\w/.test(t)) out.push(hit('db.truncate', 60));
  if (/\bdelete\sfrom\s[\w."`]+\s*(?:;|$|")/.test(t) && !/\bwhere\b/.test(t)) out.push(hit('db.delete_all_rows', 60));
  if (/\bflushall\b|\bflushdb\b/.test(t)) out.push(hit('db.flush', 70));
  if (/\bdeletemany\(\s*\{\s*\}\s*\)/.test(t)) out.push(hit('db.delete_all_rows', 60));
  return out;
}
