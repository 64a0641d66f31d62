"""Redaction and pseudonymisation: find personal data in transcripts, replace each distinct
value with the same pseudonym everywhere, and keep codings on the same words.

Finding (:func:`find_personal_data`, :func:`detect`) returns spans (kind, start, end, text)
over a transcript's stored text. Full-width digits, letters and signs (１３８…, ＠, －) count
as their ASCII forms. The kinds, in the order a stretch found as two kinds goes to:

* ``id_number`` 身份证: resident ID numbers: 18 characters (the last may be X), the check digit
  of GB 11643 right and the birth date a real, past day; whole or written 6-8-4.
* ``bank_card`` 银行卡: 16 to 19 digits starting 3 to 6 (UnionPay 62, Visa, Mastercard, JCB)
  that pass Luhn's check; whole or in groups of four.
* ``mobile`` 手机号: 1[3-9] and nine more digits, whole or 3-4-4 (spaces or hyphens), with
  +86, 86 or 0086 before them or not.
* ``landline`` 电话: an area code (010, 02x or 0 and three digits 3xx-9xx, in brackets or
  not) and 7 or 8 digits; not after a word naming another kind of number (发票代码, 订单号,
  编号 …), so a 12-digit invoice code is left alone.
* ``phone_tail`` 尾号: the last four digits of a phone after 尾号, 尾数, 后四位 or 末四位
  (手机尾号5417): only the digits are replaced.
* ``email`` 邮箱.
* ``address`` 地址: a street and number (滨江路88号) or a housing estate and building
  (幸福小区3栋), with the province, city, district and town before them and the building,
  unit and room after (江城市江北区滨江路88号3栋2单元501室).
* ``person`` 人名: words rjieba tags ``nr`` (person name) that look like a Chinese name (a
  common surname first; a two-character word only when it is not in jieba's dictionary,
  whose two-character ``nr`` entries are mostly public figures and ordinary words such as 谢谢
  and 孙子, unless 叫/名叫 comes before it or a title after it); a surname and a title (张老师,
  刘阿姨, 王总) or 小/老 and a surname (小刘, 老王, also when jieba joins the next verb to it:
  小陈帮我); a surname and one or two characters told by the words around them
  (:func:`_context_names`: 我叫于海涛, 曹国庆主任说, 跟萧平一起, 网格员田刚来过), ending where the
  next word starts, so nothing around a name is taken; speaker labels that are names; and
  names the researcher lists. Once a name is found, its every occurrence as a whole word (or
  before a verb or punctuation) counts. ``benchmarks/privacy.py`` measures recall and
  precision per kind (docs/benchmarks.md).

Known limits of recall: ID numbers of 15 digits (before 1999), numbers written in Chinese
numerals (一三八…) or with other separators, landlines without an area code, QQ and WeChat
ids, addresses without a street number or estate building (just 江北区, 滨江路), street or
estate names holding 我/在/的-like characters (向阳路 is found as 阳路…), names of one
character, names rjieba does not tag (rare given names, foreign names, some names split
wrongly), and nicknames; a name and the same person's surname and title (张伟, 张老师) get
different pseudonyms. Words the researcher keeps (``keep``) are never redacted.

Pseudonyms: one per distinct value of a kind (a phone number however it is written, an
e-mail address in any case): ``[手机号1]``, ``[电话1]``, ``[身份证1]``, ``[邮箱1]``,
``[银行卡1]``, ``[地址1]``; a person who is a speaker (a speaker label that is a name) is
``受访者A``, ``受访者B`` …, any other person ``人名1``, ``人名2`` … (a title stays: 张老师 is
``人名1老师``), the same across all transcripts. Numbers already used by pseudonyms in the
texts or in the stored key are never given again.

Planning (:func:`plan_redaction`) is one pure function of the texts, speakers, lists and the
stored key, so ``qualcode redact --preview`` shows it without writing. Applying it builds
each transcript's new text and carries turns, sentences, words and codings across with an
exact offset map (:class:`OffsetMap`): a coding that covers part of a replaced value grows
(or shrinks) to cover its whole pseudonym; coders, memos and statuses stay. Memos, coding
memos, transcripts' metadata and source paths, respondent attributes, the codebook's examples
(they quote respondents) and the project's word lists go through the same plan
(:meth:`RedactionPlan.redact_note`). Transcript and case names, coder names and the rest of
the codebook are kept as they are: name transcript files by a code (A01), not by a person.

The key (which value became which pseudonym) is kept apart from the redacted text: in the
``redaction_key`` table of the project that still holds the original text, never exported:
the original project for ``-o NEW`` (the new project carries no key), or, for ``--in-place``,
the backup taken before (``qualcode.before-redaction.db`` beside the project), which holds
the original text anyway. A later redaction of the same project, and ``--redact`` on every
export, read it from there, so a person keeps their pseudonym; keep the backup out of what
you share: ``qualcode doctor`` flags a pre-redaction backup inside a project folder and says
where to move it.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .errors import ProjectError, QualcodeError
from .progress import SILENT, Progress
from .stopwords import PROJECT_STOPWORDS
from .store import DB_NAME, USER_DICT_NAME, Project, building_beside

# The speaker-role words, surnames and titles the transcript reader knows names by.
from .transcripts import is_role_label

KINDS: dict[str, str] = {
    "id_number": "身份证",
    "bank_card": "银行卡",
    "mobile": "手机号",
    "landline": "电话",
    "phone_tail": "尾号",
    "email": "邮箱",
    "address": "地址",
    "person": "人名",
}
"""Each kind of personal data and the word its pseudonyms are made of, in order of precedence:
a stretch found as two kinds (overlapping) goes to the earlier one, then to the longer."""

SPEAKER_PSEUDONYM = "受访者"
BACKUP_LABEL = "before-redaction"
"""``--in-place`` backs the project up as ``qualcode.before-redaction.db``; the key goes there."""

KeyEntry = tuple[str, str, str, str]
"""``(kind, value, pseudonym, original)``: a distinct value (normalised: a phone number's
digits), its pseudonym and the text it was first found as; kind ``keep``: a word never to
redact."""


@dataclass(frozen=True, slots=True)
class Finding:
    """Personal data found at ``[start, end)`` of a text."""

    kind: str
    start: int
    end: int
    text: str


# --- numbers and addresses ------------------------------------------------------------------

# Full-width forms (and dashes) read as ASCII, one character for one, so offsets stay.
_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_ASCII.update(
    {
        0x3000: 0x20,
        0x2010: 0x2D,
        0x2011: 0x2D,
        0x2012: 0x2D,
        0x2013: 0x2D,
        0x2014: 0x2D,
        0x2212: 0x2D,
    }
)

_ID_RE = re.compile(
    r"(?<![0-9A-Za-z])[1-9][0-9]{5}[ -]?(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9]"
    r"[ -]?[0-9]{3}[0-9Xx](?![0-9A-Za-z])"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_CARD_RE = re.compile(
    r"(?<![0-9])[3-6](?:[0-9]{15,18}|[0-9]{3}(?:[ -][0-9]{4}){3}"
    r"(?:[ -]?[0-9]{1,3})?)(?![0-9])"
)
_MOBILE_RE = re.compile(
    r"(?<![0-9+])(?:(?:\+|00)?86[ -]?|\(\+?86\)[ -]?)?"
    r"1[3-9][0-9]([ -]?)[0-9]{4}\1[0-9]{4}(?![0-9])"
)
# Area codes: 010 and 020-029 (three digits), 03xx-09xx (four).
_AREA = r"(?:010|02[0-9]|0[3-9][0-9]{2})"
_LANDLINE_RE = re.compile(rf"(?<![0-9])(?:\({_AREA}\)|{_AREA})[ -]?[2-9][0-9]{{6,7}}(?![0-9])")
# Words naming a number that is not a phone (发票代码 044031900111 looks like a landline).
_DOCUMENT_NUMBER_RE = re.compile(
    r"(?:发票|代码|编号|编码|单号|订单|流水|合同|凭证|工号|学号|批号|序号|"
    r"票号|税号|账号|帐号|运单|快递|货号|条码|型号|证号)[^0-9]{0,6}$"
)
# A phone's last four digits: 手机尾号5417, 尾号是5417, 后四位5417.
_PHONE_TAIL_RE = re.compile(
    r"(?:尾号|尾数|后四位|后4位|末四位|末4位)(?:是|为|：|:)?\s*"
    r"(?P<digits>[0-9]{4})(?![0-9])"
)
_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9]"
    r"(?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*"
    r"[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
)

# A character of a place name: Han, but not the words that lead up to an address (我住在…).
_NOT_PLACE = (
    "我你您他她它们在住到于是从去的了和与跟及就也都还说叫个这那哪有要把被给对往离由着过吗呢吧"
    "啊呀嘛么没不很太又才再会能可想知等家旁边近附"
)
_P = rf"(?:(?![{_NOT_PLACE}])[\u4e00-\u9fff])"
_N = r"(?:[0-9]{1,5}|[一二三四五六七八九十百零〇两]{1,4})"
_ADMIN = (
    rf"(?:{_P}{{2,6}}?(?:省|自治区))?(?:{_P}{{1,6}}?(?:市|州|盟))?"
    rf"(?:{_P}{{1,6}}?(?:区|县|旗))?(?:{_P}{{1,6}}?(?:镇|乡|街道))?"
)
_ROAD = rf"{_P}{{1,8}}?(?:大街|大道|路|街|巷|胡同|弄)(?:{_N}段)?{_N}[号弄](?:院)?"
_ESTATE = (
    rf"(?:(?:{_P}|[A-Za-z0-9]){{2,10}}?(?:小区|花园|公寓|大厦|新村|家园|广场|苑)"
    rf"|{_P}苑)"
)  # 翠苑
_ROOM = rf"(?:[0-9]{{1,4}}(?:室|号房|房|(?![0-9年月日号个岁元块点分]))|{_N}室)"
_TAIL = (
    rf"(?:{_N}(?:号楼|栋|幢|座|楼)|[A-Z]座)(?:{_N}单元)?{_ROOM}?"
    rf"|[0-9]{{1,3}}-[0-9]{{1,3}}(?:-[0-9]{{1,4}})?(?![0-9])"
)
_ADDRESS_RE = re.compile(rf"{_ADMIN}(?:{_ROAD}(?:{_ESTATE})?(?:{_TAIL})?|{_ESTATE}(?:{_TAIL}))")
# Only the stretch around a street number or building is searched (the full pattern is slow).
_ADDRESS_HINT_RE = re.compile(
    r"(?:路|街|道|巷|胡同|弄|小区|花园|公寓|大厦|新村|家园|广场|苑)"
    r"(?:[0-9]|[一二三四五六七八九十百零〇两])"
)


def valid_id_number(text: str) -> bool:
    """Whether ``text`` (18 characters, separators aside) is a resident ID number: the GB 11643
    check digit right and the birth date a real day between 1870 and today."""
    digits = re.sub(r"[ -]", "", text.translate(_ASCII)).upper()
    if not re.fullmatch(r"[1-9][0-9]{16}[0-9X]", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits, _ID_WEIGHTS, strict=False))
    if _ID_CHECK[total % 11] != digits[17]:
        return False
    try:
        born = date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    return date(1870, 1, 1) <= born <= date.today()


def luhn_valid(digits: str) -> bool:
    """Whether a card number's digits pass Luhn's check."""
    total = 0
    for i, digit in enumerate(reversed(digits)):
        n = int(digit) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _number_findings(text: str) -> list[Finding]:
    """ID, card and phone numbers and e-mail addresses in ``text`` (read as ASCII)."""
    ascii_text = text.translate(_ASCII)
    found: list[Finding] = []
    for kind, regex in (
        ("id_number", _ID_RE),
        ("bank_card", _CARD_RE),
        ("mobile", _MOBILE_RE),
        ("landline", _LANDLINE_RE),
        ("email", _EMAIL_RE),
    ):
        for m in regex.finditer(ascii_text):
            if kind == "id_number" and not valid_id_number(m.group()):
                continue
            if kind == "bank_card":
                digits = re.sub(r"[ -]", "", m.group())
                if not 16 <= len(digits) <= 19 or not luhn_valid(digits):
                    continue
            if kind == "landline" and _DOCUMENT_NUMBER_RE.search(
                ascii_text, max(0, m.start() - 12), m.start()
            ):
                continue  # an invoice code or order number, not a phone
            found.append(Finding(kind, m.start(), m.end(), text[m.start() : m.end()]))
    for m in _PHONE_TAIL_RE.finditer(ascii_text):
        start, end = m.span("digits")
        found.append(Finding("phone_tail", start, end, text[start:end]))
    return found


def _address_findings(text: str) -> list[Finding]:
    ascii_text = text.translate(_ASCII)
    found: list[Finding] = []
    searched_to = 0
    for hint in _ADDRESS_HINT_RE.finditer(ascii_text):
        if hint.start() < searched_to:
            continue
        # An address reaches at most ~40 characters before its street number, ~25 after.
        low, high = max(searched_to, hint.start() - 40), min(len(text), hint.end() + 25)
        for m in _ADDRESS_RE.finditer(ascii_text, low, high):
            if m.end() > hint.start() and m.end() - m.start() >= 4:
                found.append(Finding("address", m.start(), m.end(), text[m.start() : m.end()]))
                searched_to = m.end()
                break
    return found


# --- names ----------------------------------------------------------------------------------

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
_HAN_ONLY = re.compile(f"[{_HAN}]+")
# Common surnames, without those that also begin everyday words (时间, 方面, 关于 ...).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范廖贾夏韦付邹孟熊秦邱尹薛闫段雷侯史陶贺顾郝龚邵钱严覃武戴莫孔汤葛邢乔伍庞"
    "颜倪庄聂章鲁岳翟殷詹欧耿兰焦俞柳甘祝符舒阮柯纪梅童凌毕裴霍涂苗盛翁冉骆蓝游辛靳柴蒙鲍喻祁蒲滕"
    "屈饶牟艾尤穆卓缪芦麦褚娄窦戚岑佟臧闵苟邬卞姬仇栾隋刁巫寇桑郎甄丛仲虞敖巩佘邝萧傅蔺"
    "張劉陳楊黃趙吳孫馬羅鄭謝許韓馮鄧蕭蔣葉蘇呂盧鍾譚陸賈韋鄒賀顧龔錢嚴湯喬龐顏聶魯歐蘭紀畢駱藍"
    "饒蘆麥婁竇閔鄔欒鄺閆"
)
_NAME_TITLES = (
    "先生|女士|小姐|老师|老師|教授|博士|医生|醫生|主任|经理|經理|书记|書記|局长|局長|科长|科長|"
    "处长|處長|部长|部長|委员|委員|同学|同學|阿姨|师傅|師傅|律师|律師|村长|村長|社长|社長"
)
_COMPOUND_SURNAMES = (
    "欧阳",
    "歐陽",
    "司马",
    "司馬",
    "诸葛",
    "諸葛",
    "上官",
    "司徒",
    "东方",
    "東方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "夏侯",
    "令狐",
)
# Surnames that also begin everyday words (高兴, 方面, 石头 ...): only for words jieba's
# dictionary does not have.
_MORE_SURNAMES = _SURNAMES + "高方石江文"
# 于 is a surname and a preposition (于是, 对于): a name only where the context says so.
_CONTEXT_SURNAMES = _MORE_SURNAMES + "于"
_TITLES = sorted(
    {
        *_NAME_TITLES.split("|"),
        "大爷",
        "大妈",
        "大姐",
        "大哥",
        "奶奶",
        "爷爷",
        "阿婆",
        "叔叔",
        "伯伯",
        "姐姐",
        "哥哥",
        "姐",
        "哥",
        "叔",
        "婶",
        "姨",
        "总",
        "警官",
        "大夫",
        "护士",
        "院长",
        "校长",
        "所长",
        "站长",
        "队长",
        "组长",
        "厂长",
        "镇长",
        "县长",
        "市长",
        "会计",
        "老板",
    },
    key=len,
    reverse=True,
)
_TITLE_WORDS = frozenset(_TITLES) | {"同志", "主席"}
_SURNAME_RE = rf"(?:{'|'.join(_COMPOUND_SURNAMES)}|[{_SURNAMES}])"
_TITLED_RE = re.compile(rf"(?:{_SURNAME_RE}|于)(?:{'|'.join(_TITLES)})")
_FAMILIAR_RE = re.compile(rf"[小老][{_SURNAMES}于]")
_FAMILIAR_WORDS = frozenset({"小童", "小苗", "老汤", "老姜", "老钱", "老鲁", "小柯", "老倪"})
_NAME_CUES = frozenset({"叫", "叫做", "名叫", "姓名", "名字", "名字叫", "名字是", "署名"})
# Words rjieba tags nr that are things or places (three characters, a surname first).
_NOT_NAMES = frozenset(
    {
        "黄金周",
        "杜鹃花",
        "胡萝卜",
        "许可证",
        "马尾松",
        "庄稼人",
        "麦克风",
        "段时间",
        "谢谢您",
        "张家口",
        "莫斯科",
        "武昌鱼",
        "黄鹤楼",
        "马其顿",
        "孟加拉",
        "马德里",
        "卢森堡",
        "夏威夷",
        "胡杨林",
        "梅雨期",
        "尤伯杯",
        "许可费",
        "马拉松",
        "白内障",
        "老太太",
        "老头子",
        "老人家",
        "傅里叶",
        "曹操",
        "诸葛亮",
    }
)
# Three-character words that are things, not people, by their last character (朱红色, 宋体字).
_NOT_NAME_ENDS = "色字体型式类性族费率"
_PLACE_ENDS = "市县镇乡村湖路街站线口楼殿岛港桥湾岭墩塘沟区省坡庄屯寨铺营堡滩洲坝井园苑府门场"
_NOT_FAMILY = frozenset({"老公", "老婆", "师傅", "阿姨", "先生", "小姐"})
# Characters the HMM sometimes joins to a name it has not seen (李秀兰接了, 张伟说).
_AFTER_NAME = "说讲问答接是在把给跟和叫让去来到也都就又还对向被找带帮"
# Characters a given name is not made of: pronouns, particles, adverbs, numbers (曾在, 于是我).
_NOT_GIVEN = set(
    "我你您他她它们的了是在和跟就也都还说讲个这那哪有不没很太又才再会能要把被给对从"
    "到去来过着吗呢吧啊呀嘛么一二三四五六七八九十百千万两几多次些每各该其此且而与或"
    "及等让叫使向往朝经已曾正将帮找问带拿用做办打上下里外前后中年月日号点时分岁元块"
)
# What comes right after a name in speech: a title (张伟老师), a verb or particle (张伟说,
# 张伟帮我), punctuation. A title is evidence enough; the rest needs evidence before the name.
_NAME_END_RE = re.compile(
    rf"(?P<title>{'|'.join(_TITLES)}|同志)"
    rf"|(?P<verb>(?P<says>[说讲问帮给跟找带叫让教]|告诉)|一起|已经|那时"
    rf"|[{_AFTER_NAME}])|[的，。！？；：、,.!?;:\s”」）)]|$"
)
# What comes right before a name: a cue (我叫, 名叫) is evidence enough; a preposition or
# verb (跟, 问, 找, 是), a role (网格员), punctuation or a word boundary is a weaker sign.
_NAME_CUE_RE = re.compile(r"(?:叫|名叫|叫做|名字是|姓名[:：]?|署名)$")
_BEFORE_NAME = set("跟和与找问是给让把被向帮员叫请等及下，。！？；：、,.!?;:“「（( \n\t")
# A classifier before 张 (那张卡, 两张表) makes it no surname.
_CLASSIFIER_BEFORE = set("那这一两几每哪某半整多数0123456789")


def _looks_like_name(
    word: str, in_dictionary: bool, *, cue: bool = False, titled: bool = False
) -> bool:
    """Whether a word rjieba tagged ``nr`` is a person's name (see the module docstring)."""
    if (
        word in _NOT_NAMES
        or word in _TITLE_WORDS
        or word in _NOT_FAMILY
        or not _HAN_ONLY.fullmatch(word)
        or is_role_label(word)
    ):
        return False
    if word[:2] in _COMPOUND_SURNAMES:
        return len(word) in (3, 4)
    if len(word) == 2:
        return word[0] in _MORE_SURNAMES and (cue or titled or not in_dictionary)
    if len(word) == 3:  # 张家界, 张家口: places
        return (
            word[-1] not in _PLACE_ENDS + _NOT_NAME_ENDS
            and not (in_dictionary and word[1] == "家")
            and (word[0] in _SURNAMES or (word[0] in _MORE_SURNAMES and not in_dictionary))
        )
    return False


def _speaker_is_name(label: str) -> bool:
    """Whether a speaker label names a person (张伟, 王老师, 小刘), not a role (访谈者, I)."""
    label = label.strip()
    if not label or is_role_label(label) or not _HAN_ONLY.fullmatch(label):
        return False
    if _TITLED_RE.fullmatch(label) or (
        _FAMILIAR_RE.fullmatch(label) and label not in _FAMILIAR_WORDS
    ):
        return True
    surname = 2 if label[:2] in _COMPOUND_SURNAMES else 1
    return (
        (label[:surname] in _COMPOUND_SURNAMES or label[0] in _SURNAMES)
        and (1 <= len(label) - surname <= 2)
        and label[-1] not in "说講讲道问問曰"
    )


class _Tagger:
    """rjieba's tagger with its own dictionary (names the researcher listed added), or
    jieba.posseg's where rjieba cannot load."""

    def __init__(self, names: Iterable[str]):
        try:
            import rjieba
        except ImportError:  # pragma: no cover - rjieba has wheels for the usual platforms
            import jieba
            import jieba.posseg

            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            posseg = jieba.posseg.POSTokenizer(tokenizer)
            self._tag = lambda text: [(p.word, p.flag) for p in posseg.cut(text)]
            self._add = lambda word: tokenizer.add_word(word, tag="nr")
            self._known = lambda word: word in tokenizer.FREQ and tokenizer.FREQ[word] > 0
        else:
            jb = rjieba.Jieba()
            self._tag = jb.tag
            self._add = lambda word: jb.add_word(word, None, "nr")
            self._known = jb.has_word
        self._dictionary: dict[str, bool] = {}
        self.add(names)

    def add(self, names: Iterable[str]) -> None:
        for name in names:
            if name not in self._dictionary:
                self._dictionary[name] = self._known(name)
                self._add(name)

    def tag_of(self, word: str) -> str:
        """The part of speech jieba gives ``word`` on its own ("" when it splits it)."""
        tagged = self._tag(word)
        return tagged[0][1] if len(tagged) == 1 else ""

    def in_dictionary(self, word: str) -> bool:
        """Whether jieba's own dictionary has ``word`` (before names were added)."""
        known = self._dictionary.get(word)
        return self._known(word) if known is None else known

    def tokens(self, text: str) -> list[tuple[int, int, str, str]]:
        """``(start, end, word, part of speech)`` tiling ``text``."""
        out, at = [], 0
        for word, pos in self._tag(text):
            out.append((at, at + len(word), word, pos))
            at += len(word)
        return out


def _name_spans(
    tokens: Sequence[tuple[int, int, str, str]], text: str, tagger: _Tagger
) -> list[tuple[int, int]]:
    """Where names are in a text, from its tagged tokens, the title and familiar patterns
    and the words around a surname (:func:`_context_names`)."""
    spans: list[tuple[int, int]] = []
    for i, (start, end, word, pos) in enumerate(tokens):
        before = tokens[i - 1][2] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if (
            pos.startswith("nr")
            and len(word) in (3, 4)
            and word[-1] in _AFTER_NAME
            and not tagger.in_dictionary(word)
        ):
            word, end = word[:-1], end - 1  # the HMM took the next word's first character
        if (
            pos.startswith("nr")
            and len(word) == 2
            and word[1] in _AFTER_NAME
            and before not in _NAME_CUES
            and not tagger.in_dictionary(word)
        ):
            continue  # a surname and a verb the HMM joined: (小)陈帮(我)
        if word[0] in "张毛" and start and text[start - 1] in _CLASSIFIER_BEFORE:
            continue  # a classifier: 那张卡, 一毛钱
        if pos.startswith("nr") and _looks_like_name(
            word,
            tagger.in_dictionary(word),
            cue=before in _NAME_CUES,
            titled=after is not None and after[2] in _TITLE_WORDS,
        ):
            spans.append((start, end))
        elif (
            pos == "ns"
            and len(word) == 3
            and word[0] in _SURNAMES
            and not tagger.in_dictionary(word)
            and _looks_like_name(word, False)
        ):
            spans.append((start, end))  # an unseen name the HMM took for a place: 郑国强
        elif (
            after is not None
            and (word in _COMPOUND_SURNAMES or word in _SURNAMES)
            and len(word) <= 2
            and 1 <= len(after[2]) <= 2
            and (
                after[3].startswith("nr")  # or a doubled given name: 何/婷婷
                or (after[3] == "z" and after[2][:1] * 2 == after[2])
            )
            and _HAN_ONLY.fullmatch(after[2])
            and after[2] not in _TITLE_WORDS
            and after[2] not in _NOT_FAMILY
            and after[2][0] != word[-1]
        ):  # not 张/张嘴
            spans.append((start, after[1]))  # a surname and a given name jieba split: 王/秀英
    boundaries = {0, *(end for _, end, _, _ in tokens)}
    for m in _TITLED_RE.finditer(text):
        if m.start() in boundaries and m.end() in boundaries:
            spans.append((m.start(), m.end()))
    for m in _FAMILIAR_RE.finditer(text):
        # 小陈 is often one with the next word in jieba's eyes (小陈帮, 找小丁): a verb or a
        # punctuation mark after it, or a verb before it, is boundary enough.
        start_ok = m.start() in boundaries or text[m.start() - 1] in _BEFORE_NAME
        end_ok = m.end() in boundaries or _NAME_END_RE.match(text, m.end()) is not None
        if (
            start_ok
            and end_ok
            and m.group() not in _FAMILIAR_WORDS
            and (
                m.end() in boundaries
                or text[m.end() : m.end() + 1] not in _NOT_GIVEN
                or text[m.end() : m.end() + 1] in _AFTER_NAME
            )
        ):
            spans.append((m.start(), m.end()))
    spans += _context_names(text, boundaries, tagger)
    return spans


def _context_names(text: str, boundaries: set[int], tagger: _Tagger) -> list[tuple[int, int]]:
    """Names of a surname and one or two characters that jieba did not tag (or split wrongly:
    员于/平来, 曾/超帮), found by the words around them: a cue before (我叫于海涛), a title
    after (曹国庆主任), or a verb or punctuation after and a preposition, role or word
    boundary before (跟萧平一起, 网格员田刚来过). The characters after a name are never taken
    into it: its length is where the next word starts. Not a name: a word jieba's dictionary
    has (高兴, 于是, 田野, 曹操), a three-character stretch starting with one (许多人), a given
    name with a particle, pronoun or number in it (曾在, 于是我)."""
    spans: list[tuple[int, int]] = []
    for at, char in enumerate(text):
        if char not in _CONTEXT_SURNAMES:
            continue
        before_ok = at == 0 or at in boundaries or text[at - 1] in _BEFORE_NAME
        cue = _NAME_CUE_RE.search(text, max(0, at - 3), at) is not None
        if char in "张毛" and at and text[at - 1] in _CLASSIFIER_BEFORE:
            continue
        for length in (3, 2):
            end = at + length
            name = text[at:end]
            if (
                end > len(text)
                or not _HAN_ONLY.fullmatch(name)
                or any(c in _NOT_GIVEN for c in name[1:])
            ):
                continue
            following = _NAME_END_RE.match(text, end)
            if following is None:
                continue
            titled = following.group("title") is not None
            if not (cue or before_ok):
                continue
            if (
                name[1:] in _TITLE_WORDS
                or name in _NOT_NAMES
                or is_role_label(name)
                or any(name[1:].startswith(t) for t in _TITLES)
            ):
                continue
            if tagger.in_dictionary(name) and not (
                cue
                or titled
                or (
                    before_ok
                    and following.group("says") is not None
                    and tagger.tag_of(name).startswith("nr")
                )
            ):
                continue  # a word (高兴), or a public figure's name without a cue
            if (
                length == 3
                and tagger.in_dictionary(name[:2])
                and not (
                    tagger.tag_of(name[:2]).startswith("nr")
                    or cue
                    or titled
                    or (
                        tagger.in_dictionary(name[1:])  # 韩国强: 国强 is a given name
                        and name[-1] not in _PLACE_ENDS + _NOT_NAME_ENDS
                    )
                )
            ):
                continue  # 许多人, 周末人: a word and a character
            if length == 3 and (
                name[-1] in _NOT_NAME_ENDS
                or (titled and name[-1] in _SURNAMES and tagger.in_dictionary(name[:2]))
            ):
                continue  # 朱红色; 谢谢/王师傅
            if char == "于" and not (
                cue
                or titled
                or (at and text[at - 1] in _BEFORE_NAME)
                or following.group("verb") is not None
            ):
                continue  # 于 at a word boundary is mostly the preposition (毕业于北京大学)
            spans.append((at, end))
            break
    return spans


# --- finding --------------------------------------------------------------------------------

_RANK = {kind: i for i, kind in enumerate(KINDS)}


def _resolve(findings: Iterable[Finding]) -> list[Finding]:
    """Non-overlapping findings, in text order: of overlapping ones, the kind that comes first
    in :data:`KINDS` wins, then the longer."""
    chosen: list[Finding] = []
    starts: list[int] = []
    for finding in sorted(findings, key=lambda f: (_RANK[f.kind], f.start - f.end, f.start)):
        i = bisect_left(starts, finding.start)
        if i and chosen[i - 1].end > finding.start:
            continue
        if i < len(chosen) and chosen[i].start < finding.end:
            continue
        starts.insert(i, finding.start)
        chosen.insert(i, finding)
    return chosen


@dataclass(slots=True)
class Detection:
    """What :func:`detect` found: findings per transcript (non-overlapping, in text order) and
    the names that are speakers."""

    findings: dict[str, list[Finding]]
    speaker_names: set[str] = field(default_factory=set)


class _Detector:
    def __init__(self, names: Iterable[str] = (), keep: Iterable[str] = ()):
        self.keep = {word.strip() for word in keep if word.strip()}
        self.listed = {n.strip() for n in names if n.strip() and n.strip() not in self.keep}
        self.tagger = _Tagger(self.listed)

    def detect(
        self,
        texts: Mapping[str, str],
        speakers: Mapping[str, Iterable[str]] | None = None,
        progress: Progress = SILENT,
    ) -> Detection:
        speaker_names = {
            label.strip()
            for labels in (speakers or {}).values()
            for label in labels
            if _speaker_is_name(label)
        } - self.keep
        self.tagger.add(speaker_names)
        trusted = self.listed | speaker_names
        found: dict[str, list[Finding]] = {}
        discovered: set[str] = set()
        direct: dict[str, set[tuple[int, int]]] = {}  # where each text's names were found
        progress.start("finding personal data", 2 * sum(map(len, texts.values())))
        for name, text in texts.items():
            progress.advance(len(text))
            found[name] = _number_findings(text) + _address_findings(text)
            tokens = self.tagger.tokens(text)
            direct[name] = set(_name_spans(tokens, text, self.tagger))
            discovered.update(text[s:e] for s, e in direct[name])
        discovered -= self.keep
        self.tagger.add(discovered)  # so every occurrence of a name is tokenised whole
        values = sorted(trusted | discovered, key=len, reverse=True)
        if values:
            any_name = re.compile("|".join(map(re.escape, values)))
            for name, text in texts.items():
                progress.advance(len(text), done=name)
                boundaries: set[int] | None = None
                for m in any_name.finditer(text):
                    if m.group() not in trusted and m.span() not in direct[name]:
                        # elsewhere a found name counts as a whole word, or before a verb
                        # or punctuation mark jieba joined to it (小陈说)
                        if boundaries is None:
                            boundaries = {0, *(e for _, e, _, _ in self.tagger.tokens(text))}
                        start_ok = m.start() in boundaries or text[m.start() - 1] in _BEFORE_NAME
                        if not start_ok or (
                            m.end() not in boundaries and _NAME_END_RE.match(text, m.end()) is None
                        ):
                            continue
                    found[name].append(Finding("person", m.start(), m.end(), m.group()))
        return Detection(
            {
                name: _resolve(
                    f
                    for f in findings
                    if f.text.strip() not in self.keep and _value(f.kind, f.text) not in self.keep
                )
                for name, findings in found.items()
            },
            speaker_names,
        )


def detect(
    texts: Mapping[str, str],
    *,
    speakers: Mapping[str, Iterable[str]] | None = None,
    names: Iterable[str] = (),
    keep: Iterable[str] = (),
) -> Detection:
    """Personal data in each of ``texts`` (name -> stored text): non-overlapping findings in
    text order. ``speakers`` gives each text's speaker labels (those that are names are names
    everywhere), ``names`` the researcher's list of names, ``keep`` words never to redact."""
    return _Detector(names, keep).detect(texts, speakers)


def find_personal_data(
    text: str, *, speakers: Iterable[str] = (), names: Iterable[str] = (), keep: Iterable[str] = ()
) -> list[Finding]:
    """Personal data in one text (see :func:`detect`)."""
    return detect({"": text}, speakers={"": list(speakers)}, names=names, keep=keep).findings[""]


def _value(kind: str, text: str) -> str:
    """The value a finding stands for, so that one number written two ways is one value."""
    text = text.translate(_ASCII)
    if kind in ("id_number", "bank_card", "landline", "mobile"):
        digits = re.sub(r"[^0-9Xx]", "", text).upper()
        return digits[-11:] if kind == "mobile" else digits
    if kind == "email":
        return text.lower()
    if kind == "address":
        return re.sub(r"\s+", "", text)
    return text.strip()


# --- pseudonyms -----------------------------------------------------------------------------

_LABELS = "|".join(label for kind, label in KINDS.items() if kind != "person")
_PSEUDONYM_RE = re.compile(
    rf"\[({_LABELS})([0-9]+)\]|(人名)([0-9]+)|({SPEAKER_PSEUDONYM})"
    r"([A-Z]{1,3})(?![A-Za-z])"
)


def _letters(n: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA (bijective base 26)."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _title(name: str) -> str:
    """The title a name ends with after a surname (老师 of 张老师), or ""."""
    m = _TITLED_RE.fullmatch(name)
    if not m:
        return ""
    return next(t for t in _TITLES if name.endswith(t))


class _Pseudonyms:
    """Hands out pseudonyms: the stored key's first, then the next free number of each kind."""

    def __init__(self, key: Iterable[KeyEntry], texts: Iterable[str]):
        self.assigned: dict[tuple[str, str], str] = {}
        self.originals: dict[tuple[str, str], str] = {}
        self.stored: set[tuple[str, str]] = set()
        self.keep: set[str] = set()
        self.used: Counter[str] = Counter()
        for kind, value, pseudonym, original in key:
            if kind == "keep":
                self.keep.add(value)
            elif (kind, value) not in self.assigned:
                self.assigned[kind, value] = pseudonym
                self.originals[kind, value] = original
                self.stored.add((kind, value))
                self._note(pseudonym)
        for text in texts:
            self._note(text)

    def _note(self, text: str) -> None:
        for m in _PSEUDONYM_RE.finditer(text):
            if m.group(1):
                self.used[m.group(1)] = max(self.used[m.group(1)], int(m.group(2)))
            elif m.group(3):
                self.used["人名"] = max(self.used["人名"], int(m.group(4)))
            else:
                self.used[SPEAKER_PSEUDONYM] = max(
                    self.used[SPEAKER_PSEUDONYM], _number(m.group(6))
                )

    def get(self, kind: str, text: str, *, speaker: bool = False) -> str:
        key = (kind, _value(kind, text))
        if key not in self.assigned:
            label = SPEAKER_PSEUDONYM if kind == "person" and speaker else KINDS[kind]
            self.used[label] += 1
            n = self.used[label]
            if label == SPEAKER_PSEUDONYM:
                pseudonym = f"{SPEAKER_PSEUDONYM}{_letters(n)}"
            elif kind == "person":
                pseudonym = f"人名{n}{_title(key[1])}"
            else:
                pseudonym = f"[{label}{n}]"
            self.assigned[key] = pseudonym
            self.originals[key] = text
        return self.assigned[key]

    def entries(self) -> list[KeyEntry]:
        return [
            (kind, value, pseudonym, self.originals[kind, value])
            for (kind, value), pseudonym in self.assigned.items()
        ] + [("keep", word, "", word) for word in sorted(self.keep)]


# --- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Replacement:
    """``[start, end)`` of a transcript's text, ``original``, becomes ``pseudonym``."""

    kind: str
    start: int
    end: int
    original: str
    pseudonym: str


class OffsetMap:
    """Carries positions of a text onto its redacted version, given the edits as
    ``(old_start, old_end, new_start, new_end)`` in text order. A position inside an edited
    stretch goes to the start of its replacement, or to its end when it ends a span
    (``is_end``): a span that covers part of a value covers its whole pseudonym."""

    def __init__(self, edits: Sequence[tuple[int, int, int, int]]):
        self._edits = list(edits)
        self._starts = [edit[0] for edit in self._edits]

    def __call__(self, position: int, is_end: bool = False) -> int:
        i = bisect_right(self._starts, position) - 1
        if i < 0:
            return position
        old_start, old_end, new_start, new_end = self._edits[i]
        if position == old_start:
            return new_start
        if position < old_end:
            return new_end if is_end else new_start
        return new_end + position - old_end


@dataclass(slots=True)
class RedactionPlan:
    """Which stretches of which transcripts become which pseudonyms (made by
    :func:`plan_redaction`); applying it changes nothing until :func:`redact_project` or
    :func:`redact_in_place` writes it."""

    replacements: dict[str, list[Replacement]]
    speaker_names: set[str]
    _pseudonyms: _Pseudonyms = field(repr=False)
    _detector: _Detector = field(repr=False)
    _notes: dict[str, str] = field(default_factory=dict, repr=False)

    def rows(self) -> list[tuple[str, str, str, str, int]]:
        """``(transcript, kind, original, pseudonym, count)`` per distinct original text of
        each transcript, in order of first occurrence: what ``--preview`` shows."""
        counts: Counter[tuple[str, str, str, str]] = Counter()
        for name in sorted(self.replacements):
            for r in self.replacements[name]:
                counts[name, r.kind, r.original, r.pseudonym] += 1
        return [(*key, n) for key, n in counts.items()]

    def counts(self) -> dict[str, int]:
        """Replacements per kind, over all transcripts (kinds without any left out)."""
        counts = Counter(r.kind for rs in self.replacements.values() for r in rs)
        return {kind: counts[kind] for kind in KINDS if counts[kind]}

    def redact(self, name: str, text: str) -> tuple[str, OffsetMap]:
        """Transcript ``name``'s redacted text, and the map of its positions onto it. ``text``
        must be the text the plan was made from."""
        pieces: list[str] = []
        edits: list[tuple[int, int, int, int]] = []
        at = shift = 0
        for r in self.replacements.get(name, []):
            if text[r.start : r.end] != r.original:
                raise ProjectError(
                    f"{name} changed after the redaction was planned; run the redaction again"
                )
            pieces += [text[at : r.start], r.pseudonym]
            edits.append((r.start, r.end, r.start + shift, r.start + shift + len(r.pseudonym)))
            shift += len(r.pseudonym) - (r.end - r.start)
            at = r.end
        pieces.append(text[at:])
        return "".join(pieces), OffsetMap(edits)

    def redact_note(self, text: str) -> str:
        """A free text (memo, attribute value, speaker label, file name) with its personal
        data replaced by the same pseudonyms; a value found only here gets the next one."""
        if not text or not text.strip():
            return text
        if text not in self._notes:
            known = [
                original
                for (kind, _), original in self._pseudonyms.originals.items()
                if kind == "person"
            ]
            self._detector.listed.update(known)
            self._detector.tagger.add(known)
            findings = self._detector.detect({"": text}).findings[""]
            pieces, at = [], 0
            for f in findings:
                pseudonym = self._pseudonyms.get(
                    f.kind, f.text, speaker=f.text in self.speaker_names
                )
                pieces += [text[at : f.start], pseudonym]
                at = f.end
            self._notes[text] = "".join(pieces) + text[at:]
        return self._notes[text]

    def key_entries(self) -> list[KeyEntry]:
        """Every value with its pseudonym (the stored key's and this plan's), and the words
        kept: what the key stores."""
        return self._pseudonyms.entries()


def plan_redaction(
    texts: Mapping[str, str],
    *,
    speakers: Mapping[str, Iterable[str]] | None = None,
    names: Iterable[str] = (),
    keep: Iterable[str] = (),
    key: Iterable[KeyEntry] = (),
    progress: Progress = SILENT,
) -> RedactionPlan:
    """The redaction of ``texts`` (transcript name -> stored text): each finding of
    :func:`detect` and its pseudonym, one per distinct value of a kind across all texts,
    numbered in order of first occurrence (transcripts by name), speakers first. ``key`` is the
    stored key of earlier redactions: its values keep their pseudonyms, its names are looked
    for, its kept words are kept. Writes nothing."""
    key = list(key)
    keep = {*keep, *(value for kind, value, _, _ in key if kind == "keep")}
    known = [original for kind, _, _, original in key if kind == "person"]
    detector = _Detector([*names, *known], keep)
    detection = detector.detect(texts, speakers, progress)
    pseudonyms = _Pseudonyms(key, texts.values())
    pseudonyms.keep |= detector.keep
    ordered = sorted(texts)
    for name in ordered:  # speakers first: they are 受访者A, B ... in order of appearance
        for f in detection.findings[name]:
            if f.kind == "person" and f.text in detection.speaker_names:
                pseudonyms.get(f.kind, f.text, speaker=True)
    replacements = {
        name: [
            Replacement(
                f.kind,
                f.start,
                f.end,
                f.text,
                pseudonyms.get(f.kind, f.text, speaker=f.text in detection.speaker_names),
            )
            for f in detection.findings[name]
        ]
        for name in ordered
    }
    return RedactionPlan(replacements, detection.speaker_names, pseudonyms, detector)


# --- projects -------------------------------------------------------------------------------


def read_word_list(path: str | Path) -> list[str]:
    """The words of a list file, one a line (UTF-8, GB18030 or Big5); blank lines and lines
    starting with ``#`` are skipped."""
    from .transcripts import decode

    path = Path(path)
    try:
        text, _ = decode(path.read_bytes(), path)
    except OSError as error:
        raise QualcodeError(f"cannot read the word list: {error.strerror}", path=path) from None
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def stored_key(project: Project) -> list[KeyEntry]:
    """The key of earlier redactions of this project: in its own ``redaction_key`` table, and
    in the backups that ``--in-place`` redactions left beside it (which hold the original
    text). Entries read first win."""
    entries: list[KeyEntry] = list(project.redaction_key())
    for backup in sorted(project.folder.glob(f"{project.db_path.stem}.{BACKUP_LABEL}*.db")):
        try:
            with closing(sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)) as conn:
                entries += conn.execute(
                    "SELECT kind, value, pseudonym, original FROM redaction_key"
                ).fetchall()
        except sqlite3.Error:
            continue  # a backup that is not ours or unreadable holds no key
    return entries


def plan_for(
    project: Project,
    *,
    names: Iterable[str] = (),
    keep: Iterable[str] = (),
    progress: Progress = SILENT,
) -> RedactionPlan:
    """The redaction plan of a project's transcripts, with their speaker labels, the stored
    key (:func:`stored_key`) and the researcher's ``names`` and ``keep`` lists."""
    speakers: dict[str, set[str]] = {}
    for transcript, _, _, _, speaker in project.unit_rows("turn"):
        if speaker:
            speakers.setdefault(transcript, set()).add(speaker)
    return plan_redaction(
        project.transcript_texts(),
        speakers=speakers,
        names=names,
        keep=keep,
        key=stored_key(project),
        progress=progress,
    )


@dataclass(slots=True)
class RedactionResult:
    """What a redaction wrote: where, how many replacements of each kind in how many
    transcripts, where the key is kept and (in place) the backup."""

    project: Path
    counts: dict[str, int]
    transcripts: int
    key: Path
    backup: Path | None = None


def _apply(project: Project, plan: RedactionPlan) -> None:
    """Rewrite the project by the plan, in one transaction."""
    texts = project.transcript_texts()
    with project.transaction():
        for name, text in texts.items():
            if plan.replacements.get(name):
                new_text, move = plan.redact(name, text)
                project.rewrite_transcript(name, new_text, move, speakers=plan.redact_note)
        project.rewrite_notes(plan.redact_note)
        changed: dict[str, dict[str, str]] = {}
        for case, values in project.attributes().items():
            for attribute, value in values.items():
                if (redacted := plan.redact_note(value)) != value:
                    changed.setdefault(case, {})[attribute] = redacted
        if changed:
            project.set_attributes(changed)
        codebook, quoted = project.codebook(), False
        for code, _, _ in codebook.walk():  # examples quote respondents
            examples = [plan.redact_note(example) for example in code.examples]
            if examples != code.examples:
                code.examples, quoted = examples, True
        if quoted:
            project.set_codebook(codebook)


def _compact(project: Project) -> None:
    """Rebuild the database file so no page of the old text stays in it or in its WAL."""
    project.conn.execute("VACUUM")
    project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _copy(project: Project, folder: Path, plan: RedactionPlan) -> Path:
    """Copy the project's database (private to its owner) into ``folder``, and its word lists
    redacted; returns the copy's database."""
    db = folder / DB_NAME
    os.close(os.open(db, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    project.conn.execute("VACUUM INTO ?", (str(db),))
    for name in (USER_DICT_NAME, PROJECT_STOPWORDS):
        source = project.folder / name
        if source.is_file():
            try:
                text = source.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                raise QualcodeError(
                    "this word list is not UTF-8 text: save it as UTF-8, one "
                    "word a line, and redact again; nothing was written",
                    path=source,
                ) from None
            (folder / name).write_text(
                "\n".join(plan.redact_note(line) for line in text.split("\n")), encoding="utf-8"
            )
    return db


def _result(
    folder: Path, plan: RedactionPlan, key: Path, backup: Path | None = None
) -> RedactionResult:
    return RedactionResult(
        folder, plan.counts(), sum(1 for rs in plan.replacements.values() if rs), key, backup
    )


def redact_project(
    project: Project, target: str | Path, plan: RedactionPlan | None = None
) -> RedactionResult:
    """Write a redacted copy of ``project`` as the new project folder ``target``, built in a
    temporary folder beside it and renamed into place, so a failure leaves nothing behind.
    The copy has no key and no undo history; the key goes into ``project``'s own
    ``redaction_key`` table, which it holds with the original text."""
    target = Path(target)
    if target.exists():
        raise ProjectError(
            "this folder already exists; give a new folder for the redacted project", path=target
        )
    plan = plan if plan is not None else plan_for(project)
    target.parent.mkdir(parents=True, exist_ok=True)
    with building_beside(target, "building") as building:
        building.mkdir(mode=0o700)  # private to its owner
        with Project.open(_copy(project, building, plan)) as copy:
            with copy.transaction():
                copy.clear_redaction_key()
                _apply(copy, plan)
            _compact(copy)
    project.add_to_redaction_key(plan.key_entries())
    return _result(target, plan, project.db_path)


def redact_in_place(project: Project, plan: RedactionPlan | None = None) -> RedactionResult:
    """Redact ``project`` itself, after a backup (``qualcode.before-redaction.db``): texts,
    codings, memos and attributes rewritten in one transaction, then the file rebuilt so no
    old text stays in it. The key goes into the backup, which holds the original text, and
    leaves the project."""
    plan = plan if plan is not None else plan_for(project)
    backup = project.backup(BACKUP_LABEL)
    with project.transaction():
        _apply(project, plan)
        project.clear_redaction_key()
    _compact(project)
    with Project.open(backup) as original:
        original.add_to_redaction_key(plan.key_entries())
        original.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return _result(project.folder, plan, backup, backup)


@contextmanager
def redacted_copy(project: Project) -> Iterator[Project]:
    """A temporary redacted copy of ``project`` (by its stored key, so pseudonyms agree with
    the redacted project), open, for an export to read instead of the project; deleted
    afterwards. The project itself is not changed."""
    plan = plan_for(project)
    folder = Path(tempfile.mkdtemp(prefix="qualcode-redacted-"))  # private to its owner
    try:
        with Project.open(_copy(project, folder, plan)) as copy:
            with copy.transaction():
                copy.clear_redaction_key()
                _apply(copy, plan)
            yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def redaction_summary(counts: Mapping[str, int]) -> str:
    """``3 身份证 (id_number), 5 手机号 (mobile)`` …, or ``nothing``."""
    return ", ".join(f"{n} {KINDS[kind]} ({kind})" for kind, n in counts.items()) or "nothing"
