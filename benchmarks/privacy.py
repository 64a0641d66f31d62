"""Redaction recall and precision per kind, for docs/benchmarks.md: a generated set of interview
sentences with planted personal data of every kind qualcode redacts, and decoys that must be
left alone, run through :func:`qualcode.privacy.detect` as one study.

Planted (gold) values: names in varied contexts (我叫X, X老师, X主任说, 小X/老X, 姓X，叫X, X说,
跟X一起, 网格员X; two and three characters; common and rarer surnames such as 于, 萧, 曹, 傅,
曾, 吕, 田), resident ID numbers, mobiles (several writings), phone tails (手机尾号5417),
landlines, e-mail addresses, bank cards and street addresses. Decoys: 12-digit invoice codes
and 20-digit invoice numbers, order numbers, dates written four ways, amounts, and common words
that start with a surname (高兴, 方面, 曾经, 于是, 田野, 江湖, 文化, 石头, 萧条 ...).

A finding matches a planted value when it is of the same kind and overlaps it by half or more
of their union. Recall = planted values matched / planted; precision = findings that match a
planted value / findings of that kind.

Run: .venv/bin/python benchmarks/privacy.py [--seed N] [--show]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass

from qualcode.privacy import KINDS, detect

COMMON = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓彭肖董袁潘蒋蔡杜叶程苏魏丁任沈姚卢"
)
RARE = "于萧曹傅曾吕田"
GIVEN_ONE = "伟强磊军洋勇杰涛明超斌鹏辉刚平静敏丽娟艳芳燕霞玲丹萍红"
GIVEN_TWO = [
    "海涛",
    "红梅",
    "国庆",
    "志伟",
    "秀英",
    "建华",
    "丽娟",
    "晓燕",
    "德明",
    "淑芬",
    "春生",
    "桂兰",
    "振东",
    "美玲",
    "文斌",
    "玉珍",
    "国强",
    "建军",
    "小红",
    "子轩",
    "雨涵",
    "浩然",
    "佳怡",
    "思远",
    "永福",
    "金凤",
    "立新",
    "婉清",
    "少华",
    "宏伟",
    "家豪",
    "慧敏",
]
TITLES = ["老师", "主任", "阿姨", "师傅", "医生", "书记", "经理"]

# Sentences around a planted name; {n} is the name, {s} its surname. "gold" says what is planted:
# the whole name, or the familiar form (小陈).
NAME_CONTEXTS = [
    ("我叫{n}，今年五十多岁，在社区做保洁。", "n"),
    ("{n}老师教过我怎么在网上预约。", "n"),
    ("{n}主任说这个系统下个月升级。", "n"),
    ("我姓{s}，叫{n}，在街道上班。", "n"),
    ("后来是{n}帮我把表填完的。", "n"),
    ("我跟{n}一起去的服务大厅。", "n"),
    ("{n}说网站老是打不开，让我别着急。", "n"),
    ("社区的网格员{n}来过两次。", "n"),
    ("那天{n}在窗口值班，态度挺好。", "n"),
    ("我问了一下{n}，{n}也不清楚。", "n"),
    # Contexts written after the detection rules, as a check that they are not fitted to the
    # ones above.
    ("听说{n}已经退休了。", "n"),
    ("{n}的电话我没存。", "n"),
    ("是{n}给我打的电话。", "n"),
    ("当时负责的是{n}。", "n"),
    ("我女儿{n}在外地工作。", "n"),
    ("{n}同志很负责。", "n"),
    ("我们科室的{n}，人很好。", "n"),
    ("记得{n}那时候刚来。", "n"),
]
FAMILIAR_CONTEXTS = [
    "小{s}帮我弄的，我自己不会。",
    "老{s}也说不好用。",
    "有事我就找小{s}。",
    "老{s}跟我讲过这个事。",
]

DECOY_SENTENCES = [
    "我很高兴能参加这次访谈。",
    "这方面我不太懂。",
    "我曾经试过三次都没成功。",
    "于是我就去了大厅。",
    "小时候家里没有电脑。",
    "老实说，我不太信任网上办事。",
    "田野调查的时候也问过这个问题。",
    "江湖上都说这个网站难用。",
    "文化程度不高的人更难。",
    "石头一样沉，一点反应都没有。",
    "那几年生意萧条。",
    "周末人比较多。",
    "马上就好了，他们总这么说。",
    "黄金周的时候排队更长。",
    "关于这个问题，我也说不好。",
    "曹操说曹操就到，他正好来了。",
    "我们村里老年人多。",
    "老百姓办事就图个方便。",
    "小区门口贴了通知。",
    "老师傅们都不会用手机。",
    "程序太复杂了。",
    "许多人都有同样的问题。",
    "何况还要排队。",
    "林业局的网站也一样。",
    "吕梁那边也推广了。",
    "傅里叶变换我可听不懂。",
    "钱包忘带了，只好回去拿。",
    "方便的时候再说吧。",
    "高峰期网页打不开。",
    "宋体字太小了看不清。",
    "叶子都黄了他们才修好。",
    "杨柳依依，说远了。",
    "朱红色的按钮在右上角。",
    "我把这张表填了。",
    "曾几何时，办事得跑好几趟。",
    "马路对面就是大厅。",
    "黄色的按钮点不动。",
    "一周两次，风雨无阻。",
    "文件太多了。",
    "高中毕业就出来打工了。",
    "方案改了好几次。",
    "我于心不忍，就帮他填了。",
    "大厅位于市中心。",
    "江边散步的时候想起来的。",
    "石家庄那边也这样。",
]


@dataclass(frozen=True, slots=True)
class Planted:
    kind: str
    start: int
    end: int
    text: str


class Builder:
    """One text of sentences, with the gold spans of what was planted in it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.gold: list[Planted] = []

    def add(self, sentence: str, plants: dict[str, tuple[str, str]] | None = None) -> None:
        """Add ``sentence``; ``plants`` maps a placeholder ({a}) to (kind, value); a kind of
        "" plants a decoy (counted nowhere, it must simply not be found)."""
        plants = plants or {}
        at = 0
        text = ""
        while at < len(sentence):
            brace = sentence.find("{", at)
            if brace < 0:
                text += sentence[at:]
                break
            close = sentence.index("}", brace)
            text += sentence[at:brace]
            kind, value = plants[sentence[brace + 1 : close]]
            if kind:
                start = self.length + len(text)
                self.gold.append(Planted(kind, start, start + len(value), value))
            text += value
            at = close + 1
        self.parts.append(text)
        self.length += len(text)

    def text(self) -> str:
        return "".join(self.parts)


# --- values -----------------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(rng: random.Random) -> str:
    area = rng.choice(["110101", "310104", "440304", "330106", "510107", "420102"])
    born = f"{rng.randint(1940, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = area + born + f"{rng.randint(0, 999):03d}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    digits = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        candidate = digits + check
        total = 0
        for i, digit in enumerate(reversed(candidate)):
            n = int(digit) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return candidate
    raise AssertionError


def bank_card(rng: random.Random) -> str:
    number = luhn_complete(
        rng.choice(["622202", "621700", "622848", "4563", "5187"]), rng.choice([16, 19]), rng
    )
    if rng.random() < 0.5:
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return number


def mobile(rng: random.Random) -> str:
    number = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
    style = rng.randrange(4)
    if style == 1:
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if style == 2:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if style == 3:
        return f"+86 {number}"
    return number


def landline(rng: random.Random) -> str:
    area = rng.choice(["010", "021", "020", "0571", "0755", "028", "0731", "0532"])
    local = f"{rng.randint(2, 8)}{rng.randint(0, 9_999_999 if len(area) == 3 else 999_999):0{7 if len(area) == 3 else 6}d}"
    return f"{area}-{local}" if rng.random() < 0.7 else f"({area}){local}"


def email(rng: random.Random) -> str:
    user = rng.choice(["zhang", "liu.yang", "wanghf", "chen_88", "xiaoli", "hw2020", "sunny.q"])
    return f"{user}{rng.randint(1, 999)}@{rng.choice(['163.com', 'qq.com', 'example.cn', 'gmail.com'])}"


def address(rng: random.Random) -> str:
    city = rng.choice(["江城市", "杭州市", "成都市", "南京市", "武汉市"])
    district = rng.choice(["江北区", "西湖区", "武侯区", "鼓楼区", "洪山区"])
    if rng.random() < 0.5:
        road = rng.choice(["滨江路", "文三路", "人民路", "中山大道", "建设街", "解放路"])
        return f"{city}{district}{road}{rng.randint(1, 300)}号{rng.randint(1, 20)}栋{rng.randint(1, 4)}单元{rng.randint(1, 30)}0{rng.randint(1, 4)}室"
    estate = rng.choice(["幸福小区", "阳光花园", "翠苑", "金色家园", "锦绣新村"])
    return f"{estate}{rng.randint(1, 20)}栋{rng.randint(1, 4)}单元{rng.randint(1, 30)}0{rng.randint(1, 4)}"


def invoice_code(rng: random.Random) -> str:
    return f"0{rng.randint(31, 65)}0{rng.randint(0, 99_999_999):08d}"[:12]


def invoice_number(rng: random.Random) -> str:
    return f"{rng.randint(23, 25)}{rng.randint(11, 65)}2000000{rng.randint(0, 999_999_999):09d}"


def date_text(rng: random.Random) -> str:
    y, m, d = rng.randint(2015, 2024), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        [f"{y}年{m}月{d}日", f"{y}-{m:02d}-{d:02d}", f"{y}{m:02d}{d:02d}", f"{y}.{m}.{d}"]
    )


def unique_names(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """``(name, surname)`` pairs, all different; a third with rarer surnames, half of three
    characters."""
    names: dict[str, str] = {}
    while len(names) < n:
        surname = rng.choice(RARE) if rng.random() < 0.35 else rng.choice(COMMON)
        given = rng.choice(GIVEN_TWO) if rng.random() < 0.5 else rng.choice(GIVEN_ONE)
        names.setdefault(surname + given, surname)
    return list(names.items())


# --- the study --------------------------------------------------------------------------------


def generate(
    seed: int = 0, persons: int = 140, each: int = 22
) -> dict[str, tuple[str, list[Planted]]]:
    """Transcript name -> (text, planted values): ``persons`` names in varied contexts plus
    familiar forms, ``each`` values of every other kind, decoys between them."""
    rng = random.Random(seed)
    sentences: list[tuple[str, dict[str, tuple[str, str]]]] = []
    familiar_surnames = rng.sample(COMMON + RARE, 20)
    for (name, surname), (context, _) in zip(
        unique_names(rng, persons),
        (NAME_CONTEXTS[i % len(NAME_CONTEXTS)] for i in range(persons)),
        strict=True,
    ):
        sentences.append(
            (context.replace("{n}", "{a}").replace("{s}", surname), {"a": ("person", name)})
        )
    for i, surname in enumerate(familiar_surnames):
        context = FAMILIAR_CONTEXTS[i % len(FAMILIAR_CONTEXTS)]
        word = ("小" if "小{s}" in context else "老") + surname
        sentences.append(
            (
                context.replace(("小" if "小{s}" in context else "老") + "{s}", "{a}"),
                {"a": ("person", word)},
            )
        )
    for i in range(each):
        surname, title = rng.choice(RARE + COMMON), TITLES[i % len(TITLES)]
        sentences.append(("后来{a}帮我重新登记了一遍。", {"a": ("person", surname + title)}))
    makers = [
        ("id_number", id_number, ["我的身份证号是{a}。", "身份证{a}，您记一下。"]),
        ("mobile", mobile, ["我手机是{a}，白天都能打通。", "有事打{a}找我。"]),
        (
            "phone_tail",
            lambda r: f"{r.randint(0, 9999):04d}",
            ["验证码发到我手机尾号{a}的那个号上。", "尾号是{a}的那张卡。", "手机后四位{a}。"],
        ),
        ("landline", landline, ["单位电话{a}，上班时间打。", "座机{a}。"]),
        ("email", email, ["邮箱是{a}。", "发到{a}就行。"]),
        ("bank_card", bank_card, ["工资卡号{a}。", "银行卡是{a}。"]),
        ("address", address, ["我住在{a}。", "材料寄到{a}。"]),
    ]
    for kind, make, contexts in makers:
        for i in range(each):
            sentences.append((contexts[i % len(contexts)], {"a": (kind, make(rng))}))
    decoys = [
        ("发票代码{a}，我都留着。", invoice_code),
        ("发票号码{a}。", invoice_number),
        ("订单号{a}，到现在还没处理。", lambda r: f"{r.randint(10**11, 10**12 - 1)}"),
        ("那是{a}的事了。", date_text),
        ("一共交了{a}元。", lambda r: str(r.randint(100, 99999))),
    ]
    for i in range(each * 2):
        context, make = decoys[i % len(decoys)]
        sentences.append((context, {"a": ("", make(rng))}))
    sentences += [(s, {}) for s in DECOY_SENTENCES * 2]
    rng.shuffle(sentences)
    study: dict[str, tuple[str, list[Planted]]] = {}
    per = 20
    for n, at in enumerate(range(0, len(sentences), per), start=1):
        builder = Builder()
        for sentence, plants in sentences[at : at + per]:
            builder.add(("受访者：" if rng.random() < 0.5 else "") + sentence + "\n", plants)
        study[f"T{n:02d}"] = (builder.text(), builder.gold)
    return study


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    return inter / (max(a[1], b[1]) - min(a[0], b[0])) if inter > 0 else 0.0


@dataclass(slots=True)
class Score:
    planted: int = 0
    matched: int = 0
    found: int = 0
    right: int = 0

    @property
    def recall(self) -> float:
        return self.matched / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0


def score(
    study: dict[str, tuple[str, list[Planted]]],
) -> tuple[dict[str, Score], list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Per kind scores, the planted values missed and the findings that match nothing:
    ``(transcript, kind, text)``."""
    detection = detect({name: text for name, (text, _) in study.items()})
    # Planted kinds an older qualcode does not know count as missed (to compare versions).
    scores = {
        kind: Score()
        for kind in dict.fromkeys([*KINDS, *(p.kind for _, gold in study.values() for p in gold)])
    }
    missed, wrong = [], []
    for name, (_, gold) in study.items():
        found = detection.findings[name]
        for planted in gold:
            scores[planted.kind].planted += 1
            if any(
                f.kind == planted.kind
                and _overlap((f.start, f.end), (planted.start, planted.end)) >= 0.5
                for f in found
            ):
                scores[planted.kind].matched += 1
            else:
                missed.append((name, planted.kind, planted.text))
        for f in found:
            scores[f.kind].found += 1
            if any(
                planted.kind == f.kind
                and _overlap((f.start, f.end), (planted.start, planted.end)) >= 0.5
                for planted in gold
            ):
                scores[f.kind].right += 1
            else:
                wrong.append((name, f.kind, f.text))
    return scores, missed, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", action="store_true", help="list what was missed or wrong")
    args = parser.parse_args()
    study = generate(args.seed)
    began = time.perf_counter()
    scores, missed, wrong = score(study)
    seconds = time.perf_counter() - began
    planted = sum(s.planted for s in scores.values())
    characters = sum(len(text) for text, _ in study.values())
    print(
        f"{len(study)} transcripts, {characters} characters, {planted} planted values; "
        f"detection {seconds:.2f} s"
    )
    print(f"{'kind':<11} {'planted':>7} {'found':>6} {'recall':>7} {'precision':>9}")
    for kind, s in scores.items():
        print(f"{kind:<11} {s.planted:>7} {s.found:>6} {s.recall:>7.1%} {s.precision:>9.1%}")
    total = Score(
        planted,
        sum(s.matched for s in scores.values()),
        sum(s.found for s in scores.values()),
        sum(s.right for s in scores.values()),
    )
    print(
        f"{'all':<11} {total.planted:>7} {total.found:>6} {total.recall:>7.1%} "
        f"{total.precision:>9.1%}"
    )
    if args.show:
        for name, kind, text in missed:
            print(f"missed {name} {kind}: {text}")
        for name, kind, text in wrong:
            print(f"wrong  {name} {kind}: {text}")
    sys.exit(0)


if __name__ == "__main__":
    main()
