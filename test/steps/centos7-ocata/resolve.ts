/**
 * Reads rendered step scripts the way the fact tests need them: profile values and secrets substituted,
 * commands split into shell words (quotes removed) and joined with single spaces, heredoc bodies (SQL, files)
 * as text, INI settings from osc_ini calls and from INI files the scripts write, and the helper calls read as
 * the commands they stand for (osc_pkg_yum NAMES -> yum install NAMES, osc_openstack -> openstack ARGS, ...).
 */
import { shellQuoteAlways } from '../../../source/util/shell.js';

export type IniFact = [file: string, section: string, key: string, value: string];

export interface Resolved {
	/** Commands as joined words. */
	commands: string[];
	/** Heredoc bodies and raw command text, values substituted. */
	texts: string[];
	ini: IniFact[];
}

/** Shell words of a text (several commands: each unquoted newline ends one). Supports '', "", \ and line continuation. */
export function shellWords(text: string): string[][] {
	const commands: string[][] = [];
	let words: string[] = [];
	let word = '';
	let inWord = false;
	const endWord = () => {
		if (inWord) words.push(word);
		word = '';
		inWord = false;
	};
	const endCommand = () => {
		endWord();
		if (words.length) commands.push(words);
		words = [];
	};
	for (let i = 0; i < text.length; i++) {
		const c = text[i]!;
		if (c === "'") {
			const end = text.indexOf("'", i + 1);
			if (end < 0) throw new Error(`unterminated ' in: ${text.slice(i, i + 80)}`);
			word += text.slice(i + 1, end);
			inWord = true;
			i = end;
		} else if (c === '"') {
			inWord = true;
			let j = i + 1;
			for (; j < text.length && text[j] !== '"'; j++) {
				if (text[j] === '\\' && ['"', '\\', '$', '`', '\n'].includes(text[j + 1]!)) {
					if (text[j + 1] !== '\n') word += text[j + 1];
					j++;
				} else word += text[j];
			}
			if (j >= text.length) throw new Error(`unterminated " in: ${text.slice(i, i + 80)}`);
			i = j;
		} else if (c === '\\') {
			if (text[i + 1] === '\n') i++;
			else {
				word += text[i + 1] ?? '';
				inWord = true;
				i++;
			}
		} else if (c === '\n') {
			endCommand();
		} else if (c === ' ' || c === '\t') {
			endWord();
		} else if (c === '#' && !inWord) {
			// a comment runs to the end of the line
			const end = text.indexOf('\n', i);
			i = end < 0 ? text.length : end - 1;
		} else {
			word += c;
			inWord = true;
		}
	}
	endCommand();
	return commands;
}

/** `cmd` facts are compared in this form too. */
export function normalizeCommand(command: string): string {
	return shellWords(command)
		.map((w) => w.join(' '))
		.join('\n');
}

function parseIni(file: string, body: string): IniFact[] {
	const out: IniFact[] = [];
	let section = '';
	for (const raw of body.split('\n')) {
		const line = raw.trim();
		const header = /^\[([^\]]+)\]$/.exec(line);
		if (header) section = header[1]!;
		else if (section && !line.startsWith('#') && line.includes('=')) {
			const at = line.indexOf('=');
			out.push([file, section, line.slice(0, at).trim(), line.slice(at + 1).trim()]);
		}
	}
	return out;
}

/** Helper calls read as the commands they run. */
function interpret(words: string[]): { commands: string[]; ini: IniFact[] } {
	const at = words.findIndex((w) => w.startsWith('osc_'));
	const head = at < 0 ? undefined : words[at];
	const rest = at < 0 ? [] : words.slice(at + 1);
	const commands = [words.join(' ')];
	const ini: IniFact[] = [];
	switch (head) {
		case 'osc_openstack': {
			const [, spec = '', ...args] = rest;
			for (const slot of spec.split(' ').filter(Boolean)) {
				const [index, name] = slot.split(':');
				args[Number(index)] = name!;
			}
			commands.push(`openstack ${args.join(' ')}`);
			break;
		}
		case 'osc_exists':
			commands.push(`openstack ${rest.slice(1).join(' ')}`);
			break;
		case 'osc_ini':
			if (rest.length >= 4 && rest[3] !== '--unset') ini.push([rest[0]!, rest[1]!, rest[2]!, rest[3]!]);
			break;
		case 'osc_pkg_yum':
		case 'osc_pkg_apt': {
			const names = rest.filter((w) => !w.startsWith('--'));
			if (rest.includes('--upgrade')) commands.push(head === 'osc_pkg_yum' ? 'yum upgrade' : 'apt-get dist-upgrade');
			else commands.push(`${head === 'osc_pkg_yum' ? 'yum' : 'apt-get'} install ${names.join(' ')}`);
			break;
		}
		case 'osc_service': {
			const [state, enable, ...names] = rest;
			for (const n of names) {
				if (enable === 'enable') commands.push(`systemctl enable ${n}`);
				if (state === 'started' || state === 'restarted') commands.push(`systemctl start ${n}`);
				if (state === 'restarted') commands.push(`systemctl restart ${n}`);
				if (state === 'stopped') commands.push(`systemctl stop ${n}`);
			}
			break;
		}
		// a restart when the files changed since the last one (always on a first run): read as a restart
		case 'osc_service_changed': {
			const [enable, ...filesAndNames] = rest;
			const names = filesAndNames.slice(filesAndNames.indexOf('--') + 1);
			for (const n of names) {
				if (enable === 'enable') commands.push(`systemctl enable ${n}`);
				commands.push(`systemctl start ${n}`, `systemctl restart ${n}`);
			}
			break;
		}
	}
	return { commands, ini };
}

/** Resolve one rendered script with `values` (every variable it may use, secrets included). */
export function resolveScript(script: string, values: Record<string, string>): Resolved {
	const lookup = (name: string, whole: string) => (name in values ? values[name]! : whole);
	const lines = script.split('\n');
	const code: string[] = [];
	const texts: string[] = [];
	const ini: IniFact[] = [];
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i]!;
		const heredoc = /<<-?(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1\s*$/.exec(line);
		code.push(line);
		if (!heredoc) continue;
		const body: string[] = [];
		for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i]!);
		let text = body.join('\n');
		if (!heredoc[1]) {
			text = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => lookup(name, whole));
			text = text.replace(/\\([\\$`])/g, '$1');
		}
		texts.push(text);
		const write = /osc_write_file '([^']+)'/.exec(line);
		if (write) ini.push(...parseIni(write[1]!, text));
	}
	const substituted = code
		.join('\n')
		.replace(/"\$\{([A-Za-z_][A-Za-z0-9_]*)\}"/g, (whole, name: string) =>
			name in values ? shellQuoteAlways(values[name]!) : whole,
		);
	texts.push(substituted);
	const commands: string[] = [];
	for (const words of shellWords(substituted)) {
		const r = interpret(words);
		commands.push(...r.commands);
		ini.push(...r.ini);
	}
	return { commands, texts, ini };
}
