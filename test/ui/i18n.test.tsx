/**
 * The string catalogues: the same keys and placeholders in English and Chinese, words for every key
 * binding, screen and guide section, the language chosen by --lang or the locale, and the console drawn in
 * Chinese with no English fallbacks and its columns aligned (wide characters take two columns).
 */
import stringWidth from 'string-width';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	CATALOGUES,
	getLanguage,
	initLanguage,
	LanguageError,
	missingMessages,
	placeholdersOf,
	resolveLanguage,
	sectionTitle,
	setLanguage,
	t,
} from '../../source/i18n/index.js';
import { getRunbook, listRunbooks } from '../../source/runbook/registry.js';
import { KEY_BINDINGS, SCREENS } from '../../source/ui/keybindings.js';
import { padEndW, truncateW } from '../../source/ui/text-width.js';
import { consoleTestBed, lineWith, renderApp } from '../helpers/render.js';

describe('catalogues', () => {
	it('have the same keys, no empty message, and the same placeholders in both languages', () => {
		const en = CATALOGUES.en;
		const zh = CATALOGUES.zh;
		expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
		for (const key of Object.keys(en) as (keyof typeof en)[]) {
			expect(en[key].trim(), `en ${key}`).not.toBe('');
			expect(zh[key].trim(), `zh ${key}`).not.toBe('');
			expect(placeholdersOf(zh[key]), `placeholders of ${key}`).toEqual(placeholdersOf(en[key]));
		}
	});

	it('have words for every key binding, footer hint and screen', () => {
		for (const lang of ['en', 'zh'] as const) {
			const catalogue = CATALOGUES[lang] as Record<string, string>;
			for (const row of KEY_BINDINGS) {
				expect(catalogue[`key.${row.action}`], `${lang} key.${row.action}`).toBeTruthy();
				if ('hint' in row && row.hint)
					expect(catalogue[`hint.${row.action}`], `${lang} hint.${row.action}`).toBeTruthy();
			}
			for (const screen of SCREENS) expect(catalogue[`screen.${screen}`], `${lang} screen.${screen}`).toBeTruthy();
		}
	});

	it('have a Chinese title for every section of every runbook, as the operators name them', () => {
		setLanguage('zh');
		try {
			for (const { id } of listRunbooks()) {
				for (const section of getRunbook(id).sections) {
					expect(
						CATALOGUES.zh[`section.${section.id}` as keyof typeof CATALOGUES.zh],
						`${id}/${section.id}`,
					).toBeTruthy();
				}
			}
			expect(sectionTitle({ id: 'environment', title: 'Environment' })).toBe('环境');
			expect(sectionTitle({ id: 'nova-compute', title: 'x' })).toBe('nova 计算节点');
			expect(sectionTitle({ id: 'neutron-controller', title: 'x' })).toBe('neutron 控制节点');
			expect(sectionTitle({ id: 'launch-instance', title: 'x' })).toBe('启动实例');
			expect(sectionTitle({ id: 'unknown', title: 'Runbook title' })).toBe('Runbook title');
		} finally {
			setLanguage('en');
		}
		expect(sectionTitle({ id: 'keystone', title: 'Keystone (Identity service)' })).toBe('Keystone (Identity service)');
	});

	it('fills placeholders and plurals', () => {
		setLanguage('en');
		expect(t('dash.summary', { count: 1, option: 'provider' })).toBe('1 node · networking provider');
		expect(t('dash.summary', { count: 3, option: 'provider' })).toBe('3 nodes · networking provider');
		setLanguage('zh');
		try {
			expect(t('dash.summary', { count: 3, option: 'provider' })).toBe('3 个节点 · 网络方案 provider');
		} finally {
			setLanguage('en');
		}
	});
});

describe('choosing the language', () => {
	it('--lang first, then OS_CONSOLE_LANG, then LC_ALL, LC_MESSAGES, LANG; English otherwise', () => {
		expect(resolveLanguage('zh', {})).toBe('zh');
		expect(resolveLanguage('en', { LANG: 'zh_CN.UTF-8' })).toBe('en');
		expect(() => resolveLanguage('fr', {})).toThrow(LanguageError);
		expect(resolveLanguage(undefined, { OS_CONSOLE_LANG: 'zh', LANG: 'en_US.UTF-8' })).toBe('zh');
		expect(resolveLanguage(undefined, { LANG: 'zh_CN.UTF-8' })).toBe('zh');
		expect(resolveLanguage(undefined, { LC_ALL: 'zh_TW.UTF-8', LANG: 'en_US.UTF-8' })).toBe('zh');
		expect(resolveLanguage(undefined, { LC_ALL: 'C.UTF-8', LANG: 'zh_CN.UTF-8' })).toBe('en');
		expect(resolveLanguage(undefined, { LC_MESSAGES: 'zh_CN.UTF-8' })).toBe('zh');
		expect(resolveLanguage(undefined, { LANG: 'de_DE.UTF-8' })).toBe('en');
		expect(resolveLanguage(undefined, {})).toBe('en');
	});

	it('initLanguage sets the language for the console from the flag', () => {
		const saved = process.env.OS_CONSOLE_LANG;
		try {
			expect(initLanguage('zh')).toBe('zh');
			expect(getLanguage()).toBe('zh');
			process.env.OS_CONSOLE_LANG = 'zh';
			expect(initLanguage()).toBe('zh');
			process.env.OS_CONSOLE_LANG = 'en';
			expect(initLanguage(undefined)).toBe('en');
		} finally {
			if (saved === undefined) delete process.env.OS_CONSOLE_LANG;
			else process.env.OS_CONSOLE_LANG = saved;
			setLanguage('en');
		}
	});
});

describe('width-aware columns', () => {
	it('pads and cuts by terminal columns', () => {
		expect(stringWidth(padEndW('环境', 8))).toBe(8);
		expect(padEndW('环境', 8)).toBe('环境    ');
		expect(truncateW('nova 计算节点', 8)).toBe('nova 计…');
		expect(stringWidth(truncateW('计算节点计算节点', 7))).toBeLessThanOrEqual(7);
	});
});

/** The display column where `marker` starts in a line. */
function columnOf(line: string, marker: string | RegExp): number {
	const index = typeof marker === 'string' ? line.indexOf(marker) : line.search(marker);
	expect(index, `"${String(marker)}" in: ${line}`).toBeGreaterThanOrEqual(0);
	return stringWidth(line.slice(0, index));
}

describe('the console in Chinese', () => {
	const { services } = consoleTestBed({
		savedProfile: {
			nodes: [
				{ name: 'controller', host: '127.0.0.2', roles: ['controller', 'compute'], managementIp: '127.0.0.2' },
				{ name: 'compute1', host: '127.0.0.3', roles: ['compute'], managementIp: '127.0.0.3' },
				{ name: 'compute2', host: '127.0.0.4', roles: ['compute'], managementIp: '127.0.0.4' },
			],
		},
	});
	beforeEach(() => {
		setLanguage('zh');
		missingMessages(true);
	});
	afterEach(() => {
		setLanguage('en');
	});

	it('draws every screen in Chinese, without English fallbacks, its columns aligned', async () => {
		const app = renderApp(services, 'lab');
		let frame = await app.waitFor('章节');
		expect(frame).toContain('节点');
		expect(frame).toContain('3 个节点 · 网络方案 provider');
		expect(frame).toContain('第 1 步，共 6 步：环境 › Write the hosts file');
		expect(frame).toContain('↑↓ 移动 · enter 打开');
		for (const english of ['Sections', 'Nodes', ' done', 'idle', 'step 1 of']) expect(frame).not.toContain(english);
		// Section rows: the progress column starts at one display column whatever the titles' widths.
		const sectionRows = ['1. 环境', '2. 服务', '3. 收尾'].map((title) => lineWith(frame, title));
		const progressColumns = sectionRows.map((line) => columnOf(line, '完成'));
		expect(new Set(progressColumns).size, sectionRows.join('\n')).toBe(1);
		// Node rows: roles in Chinese (two columns a character), the connection column aligned.
		const nodeRows = ['root@127.0.0.2', 'root@127.0.0.3', 'root@127.0.0.4'].map((a) => lineWith(frame, a));
		expect(nodeRows[0]).toContain('控制节点、计算节点');
		expect(nodeRows[1]).toMatch(/compute1\s+root@127\.0\.0\.3:22\s+计算节点\s+○ 空闲/);
		const connectionColumns = nodeRows.map((line) => columnOf(line, '○ 空闲'));
		expect(new Set(connectionColumns).size, nodeRows.join('\n')).toBe(1);

		// The help overlay: descriptions start at one column.
		await app.press('?');
		frame = await app.waitFor('总览（当前界面）');
		const helpRows = ['选择上一项', '运行本章节', '打开验证面板'].map((text) => lineWith(frame, text));
		const descriptionColumns = helpRows.map((line, i) =>
			columnOf(line, ['选择上一项', '运行本章节', '打开验证面板'][i]!),
		);
		expect(new Set(descriptionColumns).size, helpRows.join('\n')).toBe(1);
		await app.press('escape');
		await app.waitFor((f) => !f.includes('（当前界面）'), { what: 'the help to close' });

		// A section's checklist and a step.
		await app.press('return');
		frame = await app.waitFor('enter：输出和命令');
		expect(frame).toContain('1. 环境  完成 0/2');
		await app.press('return');
		frame = await app.waitFor('输出 · controller');
		expect(frame).toContain('还没有输出：r 运行该步骤。');
		// esc, then the screen it returns to before the next key (an esc and a letter together read as alt+letter).
		const dashboard = /第 \d 步，共 6 步/;
		await app.press('escape');
		await app.waitFor('enter：输出和命令');
		await app.press('escape');
		await app.waitFor(dashboard);

		// The verification panel, the doctor, the topology, the launch form.
		await app.press('v');
		frame = await app.waitFor('验证 · lab（demo）');
		expect(frame).toContain('未运行');
		expect(frame).toContain('认证（keystone）');
		await app.press('escape');
		await app.waitFor(dashboard);
		await app.press('d');
		frame = await app.waitFor(/\d+ 通过 · \d+ 警告 · \d+ 失败/, { timeout: 30_000 });
		expect(frame).toContain('安装前检查 · lab（demo）');
		expect(frame).toContain('原因：');
		await app.press('escape');
		await app.waitFor(dashboard);
		await app.press('t');
		frame = await app.waitFor('物理网络（来自配置）');
		expect(frame).toContain('管理网络 127.0.0.0/8');
		expect(frame).toMatch(/│ 控制节点、计算节点\s*│/);
		await app.press('escape');
		await app.waitFor(dashboard);
		await app.press('l');
		frame = await app.waitFor('启动实例 · lab');
		expect(frame).toContain('提供者网络（方案 1）');
		// Field labels are padded by columns: the values start at one column.
		const labels = ['子网名称', '子网范围', 'DNS 服务器'].map((label) => lineWith(frame, label));
		const valueColumns = labels.map((line) => columnOf(line, /127\.200|provider|8\.8|\s\S+$/));
		expect(labels.every(Boolean)).toBe(true);
		expect(new Set(valueColumns.slice(0, 2)).size, labels.join('\n')).toBe(1);
		await app.press('escape');
		await app.waitFor('章节');

		expect(missingMessages()).toEqual([]);
	});

	it('draws the profile form in Chinese with the values in one column', async () => {
		const app = renderApp(services);
		await app.waitFor('选择配置');
		expect(app.frame()).toContain('+ 新建配置');
		await app.press('n');
		const frame = await app.waitFor('新建配置');
		expect(frame).toContain('节点 1');
		const rows = ['配置名称', 'SSH 端口', 'SSH 用户', '管理网络 IP'].map((label) => lineWith(frame, label));
		const values = ['例如 lab', '22', 'root', '10.0.0.11'];
		const columns = rows.map((line, i) => columnOf(line, values[i]!));
		expect(new Set(columns).size, rows.join('\n')).toBe(1);
		expect(missingMessages()).toEqual([]);
	});
});
