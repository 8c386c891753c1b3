/**
 * The current time for elapsed times and "no output for 2m": the component re-renders every `intervalMs`
 * while `active`, and any render (an engine update, a key) reads the clock afresh.
 */
import { useEffect, useState } from 'react';

export function useNow(intervalMs: number, active = true): number {
	const [, setTick] = useState(0);
	useEffect(() => {
		if (!active) return;
		const timer = setInterval(() => setTick((t) => t + 1), intervalMs);
		return () => clearInterval(timer);
	}, [intervalMs, active]);
	return Date.now();
}
