// platform — the appui platform the browser journeys run against: a fresh
// data directory, the demo data (`appui --data DIR demo`, whose accounts and
// passwords are read from its output) and `appui serve` on a free port of
// 127.0.0.1. stop() ends the server with SIGTERM, checks that it stopped
// cleanly (under ASan: no leak, no error) and removes the directory.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Parses the accounts printed by `appui demo` after « Comptes de
// démonstration »: lines `  role  email  password`. Returns a Map email →
// {role, email, password}.
export function parseAccounts(stdout) {
  const accounts = new Map();
  const at = stdout.indexOf('Comptes de démonstration');
  if (at < 0) return accounts;
  for (const line of stdout.slice(at).split('\n').slice(1)) {
    const m = /^\s+(\S+)\s+(\S+@\S+)\s+(\S+)\s*$/.exec(line);
    if (m) accounts.set(m[2], { role: m[1], email: m[2], password: m[3] });
  }
  return accounts;
}

// Starts the platform with the binary `appui`. Resolves to
// {dir, base, port, accounts, log(), stop()}; rejects with a message that
// says which step failed (demo data, server start) and the program's output.
export async function startPlatform(appui, { startTimeout = 120000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'appui-navigateur-'));
  const env = { ...process.env, APPUI_LOG: process.env.APPUI_LOG || 'info' };
  let cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const demo = spawnSync(appui, ['--data', dir, 'demo'], { encoding: 'utf8', env, timeout: startTimeout });
    if (demo.error || demo.status !== 0) {
      throw new Error(`« appui --data ${dir} demo » a échoué (code ${demo.status}, ${demo.error || demo.signal || ''}) :\n` +
        `${demo.stdout || ''}\n${demo.stderr || ''}`);
    }
    const accounts = parseAccounts(demo.stdout);
    if (accounts.size === 0) {
      throw new Error(`« appui demo » n'a affiché aucun compte après « Comptes de démonstration » :\n${demo.stdout}`);
    }
    const server = spawn(appui, ['--data', dir, 'serve', '--listen', '127.0.0.1:0'], {
      env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = [];
    let exited = null;
    // Should node end without stop() (a signal, a crash), the server and
    // the directory must not outlive it.
    const orphan = () => { if (!exited) server.kill('SIGKILL'); cleanup(); };
    process.on('exit', orphan);
    const exit = new Promise(resolve => server.on('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
    const port = await new Promise((resolve, reject) => {
      exit.then(e => { clearTimeout(timer); reject(new Error(`le serveur s'est arrêté au démarrage (code ${e.code}, signal ${e.signal}) :\n${lines.join('\n')}`)); });
      let pending = '';
      const timer = setTimeout(() => reject(new Error(`le serveur n'a pas annoncé son port en ${startTimeout / 1000} s :\n${lines.join('\n')}`)), startTimeout);
      const onData = chunk => {
        pending += chunk;
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          lines.push(line);
          if (lines.length > 4000) lines.splice(0, 1000);
          const m = /appui sert .*\(port (\d+)\)/.exec(line);
          if (m) { clearTimeout(timer); resolve(Number(m[1])); }
        }
      };
      server.stderr.setEncoding('utf8');
      server.stderr.on('data', onData);
      server.stdout.setEncoding('utf8');
      server.stdout.on('data', d => lines.push(...d.split('\n').filter(Boolean)));
    }).catch(e => { if (!exited) server.kill('SIGKILL'); throw e; });
    const base = `http://127.0.0.1:${port}`;
    const stop = async () => {
      let result = exited;
      if (!result) {
        server.kill('SIGTERM');
        const timer = setTimeout(() => server.kill('SIGKILL'), 30000);
        result = await exit;
        clearTimeout(timer);
      }
      cleanup();
      process.off('exit', orphan);
      if (result.code !== 0) {
        throw new Error(`le serveur ne s'est pas arrêté proprement (code ${result.code}, signal ${result.signal}) ; fin de son journal :\n` +
          lines.slice(-60).join('\n'));
      }
    };
    return { dir, base, port, accounts, log: (n = 40) => lines.slice(-n).join('\n'), exited: () => exited, stop };
  } catch (e) {
    cleanup();
    throw e;
  }
}
