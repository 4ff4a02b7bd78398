// Passwords that meet the complexity policy (passwordPolicyError) and are still guessed first: the
// most common ones in leaked Chinese and international password lists, a common word or keyboard
// walk dressed up with digits and symbols (Password@123, P@ssw0rd, 1qaz@WSX, Woaini1314!), two
// letters before a digit run (Aa123456), and the person's own ID number, birth date or mobile.
// Checked where a person chooses a password (registration, recovery); returns an error code.

// Lower case, after undoing the usual substitutions (see deleet).
const COMMON = new Set([
  'aa123456', 'aa123456789', 'aa112233', 'abc123456', 'abc12345', 'abc@123', 'abc@1234', 'abc#123', 'abcd1234', 'abcd@1234',
  'admin123', 'admin@123', 'admin@1234', 'admin123456', 'password1', 'password123', 'password@123', 'qwer1234', 'qwer@1234',
  'qwe123', 'qwe@123', '1qaz2wsx', '1qaz@wsx', '1q2w3e4r', '1q2w3e4r5t', '1qaz2wsx3edc', 'qazwsx123', 'zxcv1234', 'asdf1234',
  'woaini1314', 'woaini520', 'iloveyou1', 'a1234567', 'a12345678', 'a123456789', 'a1b2c3d4', 'q1w2e3r4', 'p@ssw0rd', 'p@ssword',
  'passw0rd', 'welcome1', 'huawei@123', 'huawei123', 'changeme1', 'test@123', 'test1234', 'root@123', 'root1234', 'yitong@123',
]);

// Words (letters only, de-leeted) that make a weak core whatever digits and symbols surround them.
const WORDS = new Set([
  'password', 'passwd', 'pass', 'admin', 'administrator', 'root', 'test', 'user', 'guest', 'login', 'welcome', 'hello', 'changeme',
  'qwerty', 'qwer', 'qwe', 'asdf', 'asd', 'zxcv', 'zxc', 'qaz', 'wsx', 'qazwsx', 'zxcvbn', 'asdfgh', 'qwertyuiop', 'abc', 'abcd', 'abcdef',
  'iloveyou', 'love', 'woaini', 'aini', 'woaiwojia', 'china', 'zhongguo', 'beijing', 'shanghai', 'yitong', 'gov', 'huawei', 'baidu',
  'tencent', 'alibaba', 'taobao', 'weixin', 'wechat', 'qq', 'monkey', 'dragon', 'football', 'superman', 'princess', 'sunshine',
]);

const LEET: Record<string, string> = { '@': 'a', '4': 'a', '0': 'o', '1': 'i', '!': 'i', '3': 'e', '$': 's', '5': 's', '7': 't' };

function deleet(s: string): string {
  return [...s].map((c) => LEET[c] ?? c).join('');
}

/** A digit run nobody has to guess: one digit repeated, a run up or down, a lucky number, a year. */
function weakDigits(d: string): boolean {
  if (!d) return true;
  if (/^(\d)\1*$/.test(d)) return true;
  const up = '01234567890123456789';
  const down = '98765432109876543210';
  if (d.length >= 3 && (up.includes(d) || down.includes(d))) return true;
  return /^(520|1314|5201314|666|888|8888|168|007|(19|20)\d\d|12|123)$/.test(d);
}

export interface PersonalFacts {
  idNumber?: string | null;
  phone?: string | null;
}

/** `password.common`, `password.personal`, or null. Assumes the complexity policy already passed. */
export function weakPasswordError(password: string, personal: PersonalFacts = {}): 'password.common' | 'password.personal' | null {
  const lower = password.normalize('NFKC').toLowerCase();
  const digits = lower.replace(/\D/g, '');
  const id = personal.idNumber?.toLowerCase();
  const facts = [id, id?.slice(-6), id?.slice(6, 14), personal.phone].filter((f): f is string => Boolean(f && f.length >= 6));
  if (facts.some((f) => lower.includes(f) || digits.includes(f))) return 'password.personal';
  if (COMMON.has(lower) || COMMON.has(deleet(lower))) return 'password.common';
  const letters = lower.replace(/[^a-z]/g, '');
  const lettersLeet = deleet(lower).replace(/[^a-z]/g, '');
  if (WORDS.has(letters) || WORDS.has(lettersLeet)) return 'password.common';
  if (letters.length <= 2 && weakDigits(digits)) return 'password.common';
  return null;
}
