/**
 * The store's own guarantees: atomic private writes (0600 whatever the umask, no partial file, temp files
 * of dead writers removed and those of live ones kept), the small conf-like interface other stores use,
 * clear messages for unreadable files, secret masking, and secret changes that are refused.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
	loadOrCreateSecrets,
	maskSecrets,
	openConf,
	ProfileError,
	readJsonFile,
	removeStaleTempFiles,
	SECRET_MASK,
	secretsFile,
	setSecret,
	writePrivateFileAtomic,
} from '../../source/profile/store.js';
import { tempHome } from '../helpers/profiles.js';

let home: string;
beforeEach(() => {
	home = tempHome();
});

describe('atomic private files', () => {
	it('are 0600 even with umask 000, and replace the old content whole', () => {
		const file = path.join(home, 'a.json');
		const old = process.umask(0);
		try {
			writePrivateFileAtomic(file, 'first');
			writePrivateFileAtomic(file, 'second, longer content');
		} finally {
			process.umask(old);
		}
		expect(fs.readFileSync(file, 'utf8')).toBe('second, longer content');
		expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
		expect(fs.readdirSync(home)).toEqual(['a.json']);
	});

	it('leave the target alone when the write fails, and no temp file behind', () => {
		const file = path.join(home, 'dir-in-the-way');
		fs.mkdirSync(file);
		fs.writeFileSync(path.join(file, 'x'), 'kept');
		expect(() => writePrivateFileAtomic(file, 'data')).toThrow();
		expect(fs.readFileSync(path.join(file, 'x'), 'utf8')).toBe('kept');
		expect(fs.readdirSync(home)).toEqual(['dir-in-the-way']);
	});

	it('temp files of dead writers are removed, those of live ones (and this one) kept', () => {
		const file = path.join(home, 'progress.json');
		const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
		const names = [
			`.progress.json.${dead}.0a0b0c0d.tmp`,
			`.progress.json.1.0a0b0c0d.tmp`, // pid 1 is alive
			`.progress.json.${process.pid}.0a0b0c0d.tmp`,
			`.other.json.${dead}.0a0b0c0d.tmp`,
		];
		for (const n of names) fs.writeFileSync(path.join(home, n), '{');
		removeStaleTempFiles(file);
		expect(fs.readdirSync(home).sort()).toEqual(names.slice(1).sort());
	});

	it('openConf keeps the interface the verify store uses', () => {
		const conf = openConf(path.join(home, 'x'), 'verify');
		expect(conf.store).toEqual({});
		conf.store = { a: 1, b: ['c'] };
		expect(conf.store).toEqual({ a: 1, b: ['c'] });
		expect(conf.path).toBe(path.join(home, 'x', 'verify.json'));
		expect(fs.readFileSync(conf.path, 'utf8')).toBe('{\n\t"a": 1,\n\t"b": [\n\t\t"c"\n\t]\n}\n');
		expect((fs.statSync(path.join(home, 'x')).mode & 0o777).toString(8)).toBe('700');
	});
});

describe('reading files', () => {
	it('names a directory in place of a file, a dangling link, and ignores a byte-order mark', () => {
		fs.mkdirSync(path.join(home, 'd.json'));
		expect(() => readJsonFile(path.join(home, 'd.json'), 'profile')).toThrow(
			/is a directory, not a file; it was left as it is/,
		);
		fs.symlinkSync(path.join(home, 'nowhere'), path.join(home, 'l.json'));
		expect(() => readJsonFile(path.join(home, 'l.json'), 'profile')).toThrow(/does not exist/);
		fs.writeFileSync(path.join(home, 'bom.json'), '\ufeff{"a":1}');
		expect(readJsonFile(path.join(home, 'bom.json'), 'profile')).toEqual({ a: 1 });
	});
});

describe('secrets', () => {
	it('every loaded secret is masked in messages', () => {
		const secrets = loadOrCreateSecrets('m1');
		expect(maskSecrets(`x ${secrets.GLANCE_PASS} y ${secrets.METADATA_SECRET}`)).toBe(
			`x ${SECRET_MASK} y ${SECRET_MASK}`,
		);
		setSecret('m1', 'GLANCE_PASS', 'Changed-value-42');
		expect(maskSecrets('now Changed-value-42')).toBe(`now ${SECRET_MASK}`);
	});

	it('a change is refused without the value in the message: bad alphabet, too short, leading dash, unknown name', () => {
		loadOrCreateSecrets('m2');
		const before = fs.readFileSync(secretsFile('m2'));
		for (const [name, value] of [
			['ADMIN_PASS', 'with space 123'],
			['ADMIN_PASS', 'short'],
			['ADMIN_PASS', '-looks-like-an-option'],
			['NOT_A_SECRET', 'Fine-value-123'],
		] as const) {
			try {
				setSecret('m2', name, value);
				throw new Error('expected a refusal');
			} catch (error) {
				expect(error).toBeInstanceOf(ProfileError);
				expect((error as Error).message).not.toContain(value);
				expect((error as Error).message).toContain(name);
			}
		}
		expect(fs.readFileSync(secretsFile('m2'))).toEqual(before);
		expect(setSecret('m2', 'ADMIN_PASS', loadOrCreateSecrets('m2').ADMIN_PASS)).toBe(false);
	});
});
