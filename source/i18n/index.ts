/**
 * The console's words, one catalogue per language (en.ts, zh.ts: the same keys, checked by the compiler
 * and by test/ui/i18n.test.tsx), and `t(key, params)` to use them. The language is chosen once, before the
 * console renders: `initLanguage(flag)` from `--lang`, else OS_CONSOLE_LANG, else the locale (LC_ALL,
 * LC_MESSAGES, LANG: zh_CN.UTF-8 and the like mean Chinese), else English.
 *
 * Placeholders: `{name}` is replaced by params.name; `{count|one|other}` is params.count's plural choice
 * (the word alone, so "{count} {count|node|nodes}" reads "1 node", "2 nodes"). `t` is typed: a message's
 * placeholders are the params it requires.
 *
 * Section and step titles come from the runbooks (English data); `sectionTitle` gives a section the
 * catalogue's title in Chinese, keyed by section id (`section.<id>`), and the runbook's own title in
 * English or for a section the catalogue does not know.
 */
import { en } from './en.js';
import { zh } from './zh.js';

export const LANGUAGES = ['en', 'zh'] as const;
export type Lang = (typeof LANGUAGES)[number];

export type Catalogue = { readonly [K in keyof typeof en]: string };
export type MessageKey = keyof typeof en;

export const CATALOGUES: Record<Lang, Catalogue> = { en, zh };

type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}`
	? (P extends `${infer Name}|${string}` ? Name : P) | Placeholders<Rest>
	: never;

/** The params a message needs, from its English text. */
export type ParamsOf<K extends MessageKey> = Placeholders<(typeof en)[K]>;
export type ParamValue = string | number;
type Args<K extends MessageKey> = [ParamsOf<K>] extends [never] ? [] : [params: Record<ParamsOf<K>, ParamValue>];

let current: Lang | undefined;
/** Keys a render asked for that the language's catalogue lacks (English was shown instead). */
const fallbacks = new Set<string>();

export class LanguageError extends Error {
	override name = 'LanguageError';
}

/** 'zh', 'zh_CN.UTF-8', 'zh-TW' → zh; 'en', 'en_US.UTF-8', 'C', 'POSIX' → en; anything else: undefined. */
export function languageOf(value: string | undefined): Lang | undefined {
	if (!value) return undefined;
	const v = value.trim().toLowerCase();
	if (v.startsWith('zh')) return 'zh';
	if (v.startsWith('en') || v === 'c' || v.startsWith('c.') || v === 'posix') return 'en';
	return undefined;
}

/**
 * The language for a `--lang` value and an environment: the flag (which must name a language), then
 * OS_CONSOLE_LANG, then the locale variables in POSIX order, then English.
 */
export function resolveLanguage(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Lang {
	if (flag !== undefined && flag !== '') {
		const lang = languageOf(flag);
		if (!lang) throw new LanguageError(`unknown language "${flag}" for --lang (choose ${LANGUAGES.join(' or ')})`);
		return lang;
	}
	const explicit = env.OS_CONSOLE_LANG;
	if (explicit) {
		const lang = languageOf(explicit);
		if (lang) return lang;
	}
	// The first locale variable that is set decides, as setlocale does (LC_ALL overrides LC_MESSAGES, LANG).
	for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const) {
		const value = env[name];
		if (value) return languageOf(value) ?? 'en';
	}
	return 'en';
}

/**
 * Choose the language before the console renders: the `--lang` flag's value when given (throws a
 * LanguageError for an unknown one), else the environment. Returns the language chosen.
 */
export function initLanguage(argvLang?: string): Lang {
	current = resolveLanguage(argvLang);
	return current;
}

/** Set the language directly (tests). */
export function setLanguage(lang: Lang): void {
	current = lang;
}

/** The language in use; read from the environment the first time when nothing chose one. */
export function getLanguage(): Lang {
	current ??= resolveLanguage(undefined);
	return current;
}

function format(template: string, params: Record<string, ParamValue> | undefined): string {
	if (!params) return template;
	return template.replace(
		/\{([A-Za-z0-9_]+)(?:\|([^|}]*)\|([^}]*))?\}/g,
		(whole, name: string, one?: string, other?: string) => {
			const value = params[name];
			if (value === undefined) return whole;
			if (one !== undefined && other !== undefined) return Number(value) === 1 ? one : other;
			return String(value);
		},
	);
}

/** A message in the current language, its placeholders filled. */
export function t<K extends MessageKey>(key: K, ...args: Args<K>): string {
	const lang = getLanguage();
	let template: string | undefined = CATALOGUES[lang][key];
	if (template === undefined) {
		fallbacks.add(`${lang}:${key}`);
		template = en[key] ?? key;
	}
	return format(template, args[0] as Record<string, ParamValue> | undefined);
}

/** Is there a message with this key (for keys built at run time, like section ids)? */
export function hasMessage(key: string): key is MessageKey {
	return Object.hasOwn(en, key);
}

/** Keys shown in English because the language's catalogue lacked them, since the last reset (tests). */
export function missingMessages(reset = false): string[] {
	const out = [...fallbacks];
	if (reset) fallbacks.clear();
	return out;
}

/** Placeholder names in a template ("{count|a|b}" counts as count). */
export function placeholdersOf(template: string): string[] {
	return [...new Set([...template.matchAll(/\{([A-Za-z0-9_]+)(?:\|[^}]*)?\}/g)].map((m) => m[1]!))].sort();
}

/** A runbook section's title: the catalogue's in Chinese, the runbook's own in English. */
export function sectionTitle(section: { id: string; title: string }): string {
	if (getLanguage() === 'en') return section.title;
	const key = `section.${section.id}`;
	return hasMessage(key) ? t(key as MessageKey & `section.${string}`) : section.title;
}

/** A status word (pending, running, done …). */
export type StatusWord =
	| 'pending'
	| 'running'
	| 'succeeded'
	| 'failed'
	| 'skipped'
	| 'already-done'
	| 'interrupted'
	| 'not-applicable';
export function statusWord(status: StatusWord): string {
	return t(`status.${status}`);
}
