"""Demo data: a realistic prefecture-level city and petition cases driven through the real commands.

``build_city_spec`` writes an organisation in the org-file format (``examples/organisation.yaml``):
a city modelled on 哈密市 with its districts/counties, townships and streets, villages and
communities, grids, functional departments, petition bureaus, review organs, 政法 and 纪检监察
organs, and people in posts, including posts that change hands during the demo period.

``generate_cases`` drives the application's own command API (``Batch``: every command is checked
by the aggregate exactly as an API call would be) to build case histories across every path the
regulation knows. Each case is a small simulation (a Python generator) that yields its next act
with a business time; a scheduler runs the acts of all cases of a batch in business-time order,
so a later petition (a bypass visit, a repeat) sees its original case as it stood at that moment.
Acts that would fall after the cut-off are not done: those cases stay open, some overdue.

Nothing is caught: a refused command is a bug in this generator and stops the run, with the
case, the act and the rule that refused it.
"""
from __future__ import annotations

import hashlib
import heapq
import itertools
import random
import time as _time
import zlib
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.application import Batch, Casetrail
from domain.case_state import CaseState
from domain.errors import DomainError
from domain.periods import CALENDAR, TZ, add_calendar_days, add_working_days, local_date

DAY = timedelta(days=1)
DEMO_START, DEMO_END = date(2025, 1, 1), date(2026, 11, 20)

# --- the city -------------------------------------------------------------------------------

CITY_NAME = "哈密市"
# (code, name, ID-number area code, townships: (name, is_street))
COUNTIES: list[tuple[str, str, str, list[str]]] = [
    ("yz", "伊州区", "650502", [
        "东河街道", "西河街道", "城北街道", "丽园街道", "石油新城街道", "二堡镇", "陶家宫镇",
        "五堡镇", "七角井镇", "星星峡镇", "沁城乡", "回城乡", "花园乡", "南湖乡", "西山乡",
        "天山乡", "大泉湾乡", "乌拉台哈萨克族乡"]),
    ("blk", "巴里坤哈萨克自治县", "650521", [
        "巴里坤镇", "博尔羌吉镇", "大河镇", "奎苏镇", "三塘湖镇", "萨尔乔克乡", "海子沿乡",
        "下涝坝乡", "石人子乡", "花园乡", "大红柳峡乡", "八墙子乡"]),
    ("yw", "伊吾县", "650522", [
        "伊吾镇", "淖毛湖镇", "盐池镇", "苇子峡乡", "下马崖乡", "吐葫芦乡", "前山哈萨克族乡"]),
    ("gx", "哈密高新技术产业开发区", "650571", [
        "新区街道", "二宫街道", "工业园区管委会", "天山路街道", "光明路街道", "建国南路街道"]),
    ("jk", "哈密经济技术开发区", "650572", [
        "开发区街道", "大南湖园区管委会", "三道岭街道", "雅满苏街道"]),
]
COMMUNITIES = ["天山", "文化", "建设", "丽园", "前进", "新华", "光明", "迎宾", "团结", "胜利",
               "幸福", "和平", "春晖", "育才", "花园", "广场", "融合", "石榴籽"]
VILLAGES = ["红星", "团结", "幸福", "光明", "新民", "胜利", "前进", "和平", "东风", "丰收",
            "富民", "振兴", "园艺", "庙尔沟", "黄田", "柳树泉", "头道沟", "苇子沟", "泉水", "上湖"]
# Functional departments: code suffix -> name template ({c} = county or city name)
DEPARTMENTS = {
    "zjj": "{c}住房和城乡建设局", "rsj": "{c}人力资源和社会保障局", "zrzy": "{c}自然资源局",
    "nync": "{c}农业农村局", "gaj": "{c}公安局", "jyj": "{c}教育局", "mzj": "{c}民政局",
    "wjw": "{c}卫生健康委员会", "scjg": "{c}市场监督管理局", "sthj": "{c}生态环境局",
}
# Who is competent for a category (问题分类): a department suffix, or None for 属地 (township).
CATEGORY_UNIT = {
    "C01": "zjj", "C02": "zrzy", "C03": "zjj", "C04": "zjj", "C05": "rsj", "C06": "rsj",
    "C07": "nync", "C08": "zrzy", "C09": "sthj", "C10": "wjw", "C11": "jyj", "C13": "mzj",
    "C14": "mzj", "C16": "scjg", "C19": "nync", "C20": "zrzy", "C22": "gaj", "C15": None,
    "C26": None, "C28": None,
}
CATEGORY_WEIGHTS = {
    "C02": 10, "C06": 12, "C03": 8, "C04": 8, "C05": 7, "C07": 8, "C08": 6, "C09": 4, "C10": 3,
    "C11": 4, "C13": 5, "C14": 2, "C16": 3, "C22": 4, "C01": 5, "C15": 2, "C19": 2, "C20": 1,
    "C26": 2, "C28": 2,
}
# (request, facts and reasons) per category
MATTERS = {
    "C01": ("要求修复小区门前破损道路并解决排水问题", "道路多年失修，雨天积水严重，多次向社区反映未果。"),
    "C02": ("要求足额发放征地补偿款", "村集体土地被征收用于道路建设，本户应得补偿款至今未足额发放。"),
    "C03": ("要求解决公租房申请问题", "符合公共租赁住房申请条件，提交申请一年多未获答复。"),
    "C04": ("要求物业公司退还多收物业费并维修电梯", "物业公司擅自上调收费标准，电梯长期故障无人维修。"),
    "C05": ("要求补缴养老保险", "原单位未为本人足额缴纳养老保险费，影响退休待遇。"),
    "C06": ("要求支付拖欠的务工工资", "在建筑工地务工，工程完工后包工头拖欠工资未付。"),
    "C07": ("要求解决土地承包经营权纠纷", "本户承包地被他人占用耕种，村委会调解未果。"),
    "C08": ("要求纠正宅基地审批问题", "邻户违规扩建占用本户宅基地，影响通行。"),
    "C09": ("要求整治砂石厂噪音和粉尘污染", "附近砂石厂夜间作业，粉尘噪音严重影响居民生活。"),
    "C10": ("要求核查住院费用报销问题", "住院费用医保报销比例与政策规定不符。"),
    "C11": ("要求解决子女就近入学问题", "户籍和居住地均在本片区，子女却被分配到较远学校。"),
    "C13": ("要求重新审核最低生活保障资格", "家庭收入无变化，低保资格被取消，认为审核不公。"),
    "C14": ("要求落实退役军人优抚待遇", "符合优抚条件，申请后待遇迟迟未落实。"),
    "C15": ("要求恢复村道客运班线", "村道班车停运后群众出行困难。"),
    "C16": ("举报超市销售过期食品", "在某超市购买的食品已过保质期，商家拒绝退换。"),
    "C19": ("要求合理分配农田灌溉用水", "上游村组截留渠水，本组农田无法按时灌溉。"),
    "C20": ("要求发放草原生态保护补助", "本户草场纳入禁牧范围，补助资金未按时发放。"),
    "C22": ("要求公安机关依法处理邻里纠纷中的殴打行为", "邻里纠纷中被人殴打受伤，报警后未见处理结果。"),
    "C23": ("对法院民事判决不服，要求重新审理", "认为一审判决认定事实错误，适用法律不当。"),
    "C24": ("检举村干部虚报冒领项目资金", "村委会主任在庭院经济项目中虚报冒领补助资金。"),
    "C25": ("对党内处分决定不服提出申诉", "认为所受党纪处分事实认定有误，处分过重。"),
    "C26": ("建议定期公开村务和财务收支情况", "村务公开栏长期未更新，群众对集体收支情况不了解。"),
    "C28": ("要求协调解决邻里排水纠纷", "邻居院内排水流入本户院落，协商未果。"),
    "C17": ("要求解决企业改制职工安置问题", "原国有企业改制时职工身份置换补偿未落实。"),
}
# 依法分类处理: category -> (31 item, statutory procedure)
ROUTE_OUT = {
    "C06": ("31_2", "劳动人事争议仲裁"), "C05": ("31_2", "劳动人事争议仲裁"),
    "C02": ("31_4", "行政复议"), "C08": ("31_4", "土地权属争议行政裁决"),
    "C25": ("31_3", "党员申诉"), "C16": ("31_5", "市场监管投诉举报处理（履行法定职责）"),
    "C22": ("31_1", "公安机关受案、立案程序"),
}
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡"
            "贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万"
            "段雷钱汤尹易常武乔贺赖龚文")
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
         "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "红梅", "玉兰",
         "文博", "建国", "建军", "国庆", "春梅", "晓东", "晓燕", "立新", "卫东", "玉梅", "永刚",
         "德明", "新民", "宏伟", "雪梅", "丽娟", "凤英", "志刚", "海涛", "俊杰", "婷婷", "慧敏",
         "振华", "学军", "少华", "春燕", "金花", "长青", "天宇", "雅琴", "国华", "晓明", "彦军"]
MINORITY_FIRST = ["阿不都热合曼", "艾尔肯", "古丽娜尔", "买买提江", "热依拉", "迪丽努尔", "努尔买买提",
                  "阿依古丽", "吐尔洪", "玉苏甫", "努尔兰", "叶尔兰", "阿依登", "哈丽旦", "叶尔肯",
                  "帕丽达", "阿力木", "再努尔", "巴合提亚尔", "库尔班"]
MINORITY_FATHER = ["买买提", "吐尔逊", "艾山", "阿不都拉", "吾斯曼", "艾力", "肉孜", "托合提", "依明",
                   "卡德尔", "哈力木", "别克", "加肯", "努尔别克", "吐尔逊别克", "沙吾提", "热合曼"]


@dataclass
class _Names:
    rng: random.Random
    used: set[str] = field(default_factory=set)

    def __call__(self) -> str:
        while True:
            if self.rng.random() < 0.25:
                name = f"{self.rng.choice(MINORITY_FIRST)}·{self.rng.choice(MINORITY_FATHER)}"
            else:
                name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            if name not in self.used:
                self.used.add(name)
                return name


def _day(d: date) -> str:
    return d.isoformat()


def build_city_spec(seed: int, counties: int = 4, townships_per_county: int = 6,
                    villages_per_township: int = 4) -> dict[str, Any]:
    """A prefecture-level city in the org-file format; same seed, same city (people, posts)."""
    rng = random.Random(f"city/{seed}")
    names = _Names(rng)
    units: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    appointments: list[dict[str, Any]] = []
    since = "2020-01-01"

    def unit(code: str, name: str, level: str, kind: str, parent: str | None) -> str:
        units.append({"code": code, "name": name, "level": level, "kind": kind, "parent": parent,
                      "since": since})
        return code

    def person() -> str:
        code = f"p{len(people) + 1:05d}"
        people.append({"code": code, "name": names()})
        return code

    def appoint(unit_code: str, post: str, start: str = "", until: str | None = None,
                who: str | None = None) -> str:
        who = who or person()
        a = {"unit": unit_code, "post": post, "person": who,
             "from": start or f"{rng.randint(2020, 2024)}-{rng.randint(1, 12):02d}-01"}
        if until:
            a["until"] = until
        appointments.append(a)
        return who

    def replace(unit_code: str, post: str, on: date) -> None:
        """The (first) holder of ``post`` leaves on ``on``; a successor takes over that day."""
        current = next(a for a in appointments
                       if a["unit"] == unit_code and a["post"] == post and "until" not in a)
        current["until"] = _day(on)
        appoint(unit_code, post, _day(on))

    def staff(code: str, handlers: int = 2, officers: int = 1) -> None:
        for post in ("head", "petition_leader"):
            appoint(code, post)
        for _ in range(officers):
            appoint(code, "petition_officer")
        for _ in range(handlers):
            appoint(code, "handler")

    def organs(prefix: str, name: str, level: str, parent: str, city: bool) -> None:
        staff(unit(f"{prefix}-gov", f"{name}人民政府", level, "review_organ", parent))
        staff(unit(f"{prefix}-xfj", f"{name}信访局", level, "petition_bureau", parent), officers=2)
        staff(unit(f"{prefix}-zfw", f"中共{name}委员会政法委员会", level, "politics_law", parent), 1)
        court = f"{name}中级人民法院" if city else f"{name}人民法院"
        staff(unit(f"{prefix}-fy", court, level, "politics_law", parent), 1)
        staff(unit(f"{prefix}-jw", f"{name}纪委监委", level, "discipline", parent), 1)
        for suffix, template in DEPARTMENTS.items():
            dept = template.format(c=name)
            if not city and suffix == "gaj":
                dept = f"{CITY_NAME}公安局{name}分局"
            elif not city and suffix == "sthj":
                dept = f"{CITY_NAME}生态环境局{name}分局"
            staff(unit(f"{prefix}-{suffix}", dept, level, "department", parent))

    city = unit("city", CITY_NAME, "city", "territorial", None)
    appoint(city, "head")
    appoint(city, "petition_leader")
    organs("city", CITY_NAME, "city", city, True)
    conf = unit("city-lxhy", f"{CITY_NAME}信访工作联席会议", "city", "joint_conference", city)
    appoint(conf, "head")
    appoint(conf, "petition_officer")
    replace("city-xfj", "head", date(2026, 3, 2))  # the city bureau's director changes

    table = list(COUNTIES)
    while len(table) < counties:
        n = len(table) + 1
        table.append((f"c{n}", f"第{n}区", f"6505{n:02d}", []))
    for code, name, _, towns in table[:counties]:
        county = unit(code, name, "county", "territorial", city)
        appoint(county, "head")
        appoint(county, "petition_leader")
        organs(code, name, "county", county, False)
        # a mid-year change of the housing bureau's head; a handler moves to the labour bureau
        replace(f"{code}-zjj", "head", date(2025, rng.randint(5, 8), rng.randint(1, 28)))
        mover = appoint(f"{code}-zjj", "handler", "2021-06-01",
                        _day(date(2025, rng.randint(9, 12), rng.randint(1, 28))))
        appointments.append({"unit": f"{code}-rsj", "post": "handler", "person": mover,
                             "from": appointments[-1]["until"]})
        replace(f"{code}-xfj", "petition_officer", date(2026, rng.randint(1, 4), 1))
        town_names = list(towns) + [f"第{i}街道" for i in range(len(towns) + 1, 60)]
        for t in range(townships_per_county):
            tname = town_names[t]
            town = unit(f"{code}-t{t + 1:02d}", tname, "township", "territorial", county)
            street = tname.endswith("街道")
            for post in ("head", "secretary", "petition_leader", "petition_officer", "handler",
                         "handler"):
                appoint(town, post)
            if t == 0:
                replace(town, "head", date(2026, rng.randint(1, 6), rng.randint(1, 28)))
            pool = COMMUNITIES if street else VILLAGES
            picks = rng.sample(pool, min(villages_per_township, len(pool)))
            picks += [f"第{i}" for i in range(len(picks) + 1, villages_per_township + 1)]
            for v, vname in enumerate(picks):
                vname = f"{vname}{'社区' if street else '村'}"
                village = unit(f"{town}-v{v + 1}", vname, "village", "territorial", town)
                appoint(village, "village_secretary")
                appoint(village, "petition_officer")
                for g in range(2):
                    grid = unit(f"{village}-g{g + 1}", f"{vname}第{g + 1}网格", "grid",
                                "territorial", village)
                    appoint(grid, "grid_head")
                    appoint(grid, "grid_worker")
                    appoint(grid, "household_head")
                    appoint(grid, "household_head")
    moves = []
    if townships_per_county >= 2 and villages_per_township >= 2:
        # 行政区划调整: a village of the first township is put under the second one
        first = table[0][0]
        moves.append({"unit": f"{first}-t01-v{villages_per_township}",
                      "parent": f"{first}-t02", "from": "2026-01-01"})
    return {
        "name": f"{CITY_NAME}（演示）",
        "levels": [
            {"code": "city", "zh": "市", "en": "City"},
            {"code": "county", "zh": "县（市、区）", "en": "County / district"},
            {"code": "township", "zh": "乡镇（街道）", "en": "Township / street"},
            {"code": "village", "zh": "村（社区）", "en": "Village / community"},
            {"code": "grid", "zh": "网格", "en": "Grid"},
        ],
        "posts": {"village_secretary": "村（社区）党组织书记"},
        "units": units, "people": people, "appointments": appointments, "moves": moves,
    }


# --- an index of the city for the generator ------------------------------------------------

@dataclass
class _Area:
    """A city or a county with its organs, departments and territory."""

    code: str
    name: str
    area_code: str
    organs: dict[str, str] = field(default_factory=dict)  # suffix -> unit code
    townships: list[str] = field(default_factory=list)
    villages: dict[str, list[str]] = field(default_factory=dict)
    grids: dict[str, list[str]] = field(default_factory=dict)

    def __getitem__(self, suffix: str) -> str:
        return self.organs[suffix]


@dataclass
class _City:
    city: _Area
    counties: list[_Area]
    parent: dict[str, str]
    names: dict[str, str]

    @classmethod
    def of(cls, spec: dict[str, Any]) -> _City:
        units = spec["units"]
        parent = {u["code"]: u.get("parent") for u in units}
        names = {u["code"]: u["name"] for u in units}
        areas = {u["code"]: _Area(u["code"], u["name"], "6505")
                 for u in units if u["kind"] == "territorial" and u["level"] in ("city", "county")}
        for code, _, area_code, _ in COUNTIES:
            if code in areas:
                areas[code].area_code = area_code
        for u in units:
            p = u.get("parent")
            if p in areas and u["level"] in ("city", "county") and u["code"].startswith(p + "-"):
                areas[p].organs[u["code"][len(p) + 1:]] = u["code"]
            elif p in areas and u["level"] == "township":
                areas[p].townships.append(u["code"])
        for area in areas.values():
            for town in area.townships:
                area.villages[town] = [u["code"] for u in units if u.get("parent") == town]
                for v in area.villages[town]:
                    area.grids[v] = [u["code"] for u in units if u.get("parent") == v]
        counties = [a for c, a in areas.items() if c != "city"]
        return cls(areas["city"], counties, parent, names)


# --- time ---------------------------------------------------------------------------------

def _workday(d: date) -> date:
    while not CALENDAR.is_workday(d):
        d += DAY
    return d


def _office_hours(d: date, rng: random.Random) -> datetime:
    minutes = rng.randint(9 * 60, 18 * 60 + 30)
    return datetime.combine(d, time(minutes // 60, minutes % 60), TZ)


def _later(t: datetime, rng: random.Random, lo: int, hi: int, last: date | None = None,
           workday: bool = True) -> datetime:
    """A moment lo..hi days after ``t`` in office hours (on a working day), never after ``last``."""
    d = local_date(t) + timedelta(days=rng.randint(lo, max(lo, hi)))
    if workday:
        d = _workday(d)
    if last is not None and d > last:
        d = last
        while workday and not CALENDAR.is_workday(d) and d > local_date(t):
            d -= DAY
    moment = _office_hours(d, rng)
    if moment <= t:
        moment = t + timedelta(minutes=rng.randint(10, 90))
    return moment


def _between(lo: datetime, hi: datetime, rng: random.Random) -> datetime:
    """A moment in office hours on a working day between ``lo`` and ``hi`` (if there is one)."""
    first, last = local_date(lo), local_date(hi)
    for _ in range(4):
        d = _workday(first + timedelta(days=rng.randint(0, max(0, (last - first).days))))
        moment = _office_hours(d, rng)
        if lo < moment < hi:
            return moment
    return lo + timedelta(minutes=rng.randint(5, 60))


def _digest(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


# --- the simulation -------------------------------------------------------------------------

@dataclass
class Step:
    """One act: a command on a case, by an actor, at a business time.

    ``late`` computes arguments from the case's state when the act is done (a supervision's
    number); ``when`` is a decision taken at that moment (supervise only if still pending)."""

    at: datetime
    case_no: str
    command: str
    actor: dict[str, Any]
    args: dict[str, Any] = field(default_factory=dict)
    late: Callable[[CaseState], dict[str, Any]] | None = None
    when: Callable[[CaseState], bool] | None = None


@dataclass
class Wait:
    """Resume the case's simulation at ``at`` (to look at another case as it then stands)."""

    at: datetime


Life = Generator["Step | Wait", None, Any]


class GeneratorBug(RuntimeError):
    """A command the generator issued was refused: the generator broke a rule."""


@dataclass
class _Case:
    no: str
    path: str
    rng: random.Random
    reg_at: datetime
    area: _Area
    flags: dict[str, Any]


class SimClock:
    """The system clock of a simulated city: each command is recorded a few minutes to a few
    hours after the act it states (deterministic), never after ``ceiling`` (the demo's "now"),
    and never earlier than the command before it in the same batch."""

    def __init__(self, ceiling: datetime) -> None:
        self.ceiling = self.now = ceiling
        self._last: datetime | None = None

    def __call__(self) -> datetime:
        return self.now

    def start_batch(self) -> None:
        self._last = None

    def record(self, step: Step) -> None:
        lag = 5 + zlib.crc32(f"{step.case_no}|{step.command}|{step.at.isoformat()}".encode()) % 175
        moment = min(self.ceiling, step.at + timedelta(minutes=lag))
        if self._last is not None and moment < self._last:
            moment = self._last
        self.now = self._last = moment


class _Sim:
    """What the lives of one batch share: the app, the city, the open Batch, the cut-off."""

    def __init__(self, app: Casetrail, city: _City, cutoff: datetime) -> None:
        self.app, self.city, self.cutoff = app, city, cutoff
        self.org = app.org
        self.batch: Batch | None = None
        self.skipped = 0

    def state(self, case_no: str) -> CaseState:
        assert self.batch is not None
        return self.batch.cases[case_no].state

    def actor(self, unit: str, at: datetime, rng: random.Random,
              posts: tuple[str, ...] = ("petition_officer", "handler", "head")) -> dict[str, Any]:
        for post in posts:
            holders = self.org.holders(unit, post, at)
            if holders:
                return {"unit": unit, "person": rng.choice(holders), "post": post}
        return {"unit": unit}

    def holder_of(self, unit: str, post: str, at: datetime) -> str | None:
        holders = self.org.holders(unit, post, at)
        return holders[0] if holders else None

    def name(self, person: str | None) -> str:
        return self.org.persons.get(person or "", "") or "（空缺）"

    def run(self, step: Step) -> None:
        assert self.batch is not None
        if step.when is not None and not step.when(self.state(step.case_no)):
            self.skipped += 1
            return
        args = dict(step.args)
        if step.late is not None:
            args.update(step.late(self.state(step.case_no)))
        if isinstance(self.app.clock, SimClock):
            self.app.clock.record(step)
        try:
            if step.command == "register":
                self.batch.register(step.actor, step.at, step.case_no, **args)
            else:
                self.batch.execute(step.case_no, step.command, step.actor, step.at, **args)
        except DomainError as e:
            raise GeneratorBug(f"{step.case_no} {step.command} at {step.at.isoformat()} by "
                               f"{step.actor} {args}: {e}") from e


def _petitioners(c: _Case, sim: _Sim, n: int) -> list[dict[str, Any]]:
    rng, names = c.rng, _Names(c.rng)
    out = []
    for _ in range(n):
        born = date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28))
        body = f"{c.area.area_code}{born:%Y%m%d}{rng.randint(100, 999)}"
        out.append({"name": names(),
                    "phone": f"1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}",
                    "id_number": body + rng.choice("0123456789X"),
                    "address": sim.city.names.get(c.flags["location"], "")})
    return out


def _registration(c: _Case, sim: _Sim) -> dict[str, Any]:
    rng, f = c.rng, c.flags
    request, facts = MATTERS.get(f["category"], MATTERS["C28"])
    collective = f["collective"]
    petitioners = f.get("petitioners")
    if petitioners is None:
        petitioners = [] if f["anonymous"] else _petitioners(c, sim, 3 if collective else 1)
    fields: dict[str, Any] = {
        "channel": f["channel"], "matter_type": f["matter"], "category": f["registered_category"],
        "location": f["location"], "petitioners": petitioners,
        "headcount": rng.randint(6, 30) if collective else max(1, len(petitioners)),
        "collective": collective, "request": request, "facts_and_reasons": facts,
        "representatives": [p["name"] for p in petitioners] if collective else [],
        "attachments": [{"name": name, "sha256": _digest(c.no, name)} for name in
                        rng.sample(["身份证复印件.jpg", "信访材料.pdf", "现场照片.jpg",
                                    "合同复印件.pdf", "欠条.jpg"], rng.randint(0, 2))],
    }
    if f["channel"] == "agent":
        grid = f["location"]
        agent = sim.holder_of(grid, "household_head", c.reg_at)
        fields["agent"] = {"name": sim.name(agent), "role": "双联户长代办", "unit": grid,
                           "document": "代办委托书"}
    if f["matter"] == "accusation":
        fields["accused"] = {"persons": [_Names(rng)()], "post": "村委会主任",
                             "units": [sim.city.names[f["village"]]]}
    for key in ("repeat_of", "same_facts", "bypass_of"):
        if key in f:
            fields[key] = f[key]
    return fields


# How a primary case goes (weights for the random part; the first cases cover every path).
PATHS = {
    "transfer": 30, "assign": 8, "direct": 5, "unit_intake": 10, "objection_upheld": 4,
    "objection_rejected": 3, "politics_law": 5, "discipline": 4, "route_out": 7, "refused": 4,
    "withdrawn": 4, "suggestion": 3, "accusation": 2,
    # families: an original case and a later petition on the same matter
    "duplicate": 3, "bypass": 4, "repeat_after": 4,
}
FAMILIES = ("duplicate", "bypass", "repeat_after")
FORCED: list[tuple[str, dict[str, Any]]] = [
    ("objection_upheld", {"timing": "extended", "review": 2, "rereview_hearing": True,
                          "hearing": True, "mediation": True, "leader": True, "intake": "county",
                          "opinion": "not_support", "review_opinion": "uphold"}),
    ("transfer", {"timing": "late", "supervision": "ignored", "opinion": "support",
                  "execution": False}),
    ("assign", {"supervision": "answered", "timing": "on_time", "correction": "service_time"}),
    ("direct", {"mediation": True, "correction": "category", "review": 1,
                "review_opinion": "modify", "opinion": "support"}),
    ("unit_intake", {"channel": "agent", "hearing": True, "correction": "phone"}),
    ("objection_rejected", {"late_accept": True, "timing": "extended_late"}),
    ("politics_law", {}), ("discipline", {}), ("route_out", {}), ("refused", {}),
    ("withdrawn", {}), ("suggestion", {}), ("accusation", {}),
    ("duplicate", {}), ("bypass", {}), ("repeat_after", {"final": True, "same_facts": True}),
    ("repeat_after", {"final": False, "same_facts": False}), ("transfer", {"intake": "city"}),
]
NOTE_STATUSES = ("registered", "transferred", "received", "objected", "accepted", "replied",
                 "served", "reviewed", "final", "refused", "routed_out")
PENDING = ("transferred", "received", "objected", "accepted", "replied")


def _choose(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, [weights[k] for k in keys])[0]


def _profile(path: str, rng: random.Random, city: _City, forced: dict[str, Any]) -> dict[str, Any]:
    """The case's intake and how its handling will go (decided up front, acted out later)."""
    area = rng.choice(city.counties)
    town = rng.choice(area.townships)
    village = rng.choice(area.villages[town])
    grids = area.grids[village]
    location = rng.choice(grids) if grids and rng.random() < 0.85 else village
    matter, category = "grievance", _choose(rng, CATEGORY_WEIGHTS)
    if path == "politics_law":
        category = "C23"
    elif path == "discipline":
        matter, category = "accusation", "C24"
    elif path == "route_out":
        category = rng.choice(list(ROUTE_OUT))
    elif path == "suggestion":
        matter, category = "suggestion", rng.choice(["C26", "C15", "C01"])
    elif path == "accusation":
        matter, category = "accusation", rng.choice(["C16", "C09"])
    elif path == "objection_upheld":
        category = rng.choice(["C02", "C03", "C05", "C06", "C07", "C13"])
    opinion = _choose(rng, {"support": 35, "explain": 45, "not_support": 20})
    review = 0
    if rng.random() < {"not_support": 0.4, "explain": 0.15, "support": 0.03}[opinion]:
        review = 2 if rng.random() < 0.45 else 1
    p = {
        "location": location, "township": town, "village": village, "matter": matter,
        "category": category, "intake": "city" if rng.random() < 0.15 else "county",
        "channel": _choose(rng, {"visit": 35, "letter": 20, "online": 30, "phone": 10,
                                 "agent": 5}),
        "collective": rng.random() < 0.06,
        "anonymous": path == "discipline" and rng.random() < 0.4,
        "timing": _choose(rng, {"on_time": 78, "late": 10, "extended": 9, "extended_late": 3}),
        "late_triage": rng.random() < 0.05, "late_accept": rng.random() < 0.07,
        "late_notice": rng.random() < 0.05, "opinion": opinion, "review": review,
        "review_opinion": _choose(rng, {"uphold": 85, "modify": 8, "revoke": 7}),
        "rereview_hearing": rng.random() < 0.2, "mediation": rng.random() < 0.15,
        "hearing": rng.random() < 0.05, "leader": rng.random() < 0.2,
        "supervision": _choose(rng, {"": 80, "answered": 15, "ignored": 5}),
        "execution": rng.random() < 0.85, "evaluate": rng.random() < 0.85,
        "correction": _choose(rng, {"": 94, "category": 2, "service_time": 2, "phone": 2}),
    }
    p.update(forced)
    if p["channel"] == "agent" and not grids:
        p["channel"] = "visit"
    elif p["channel"] == "agent":
        p["location"] = location if location in grids else grids[0]
    if matter != "grievance":  # only the 31(六) track has a 60-day clock to extend or review
        p.update(timing="on_time" if p["timing"].startswith("extended") else p["timing"],
                 review=0)
    if p["anonymous"] and p["correction"] == "phone":
        p["correction"] = ""
    p["registered_category"] = category
    if p["correction"] == "category":  # registered under 其他 by mistake, corrected later
        p["registered_category"] = "C28" if category != "C28" else "C26"
    p["area"] = area
    return p


# --- the lives of cases ---------------------------------------------------------------------

def _competent(c: _Case) -> str:
    """The unit competent for the matter: the county department, or the township (属地)."""
    suffix = CATEGORY_UNIT.get(c.flags["category"])
    return c.flags["township"] if suffix is None else c.area[suffix]


def _primary(sim: _Sim, c: _Case) -> Life:
    """A petition from registration to wherever its path ends (or the cut-off)."""
    rng, f = c.rng, c.flags
    bureau = (sim.city.city if f["intake"] == "city" else c.area)["xfj"]
    intake = bureau
    if c.path == "unit_intake":  # at the township's 矛调中心, or the department's own window
        intake = f["township"] if rng.random() < 0.5 else _competent(c)
    f["registered_by"] = intake
    t = c.reg_at
    yield Step(t, c.no, "register", sim.actor(intake, t, rng), _registration(c, sim))
    if f["registered_category"] != f["category"]:
        t = _later(t, rng, 0, 2)
        yield Step(t, c.no, "correct", sim.actor(intake, t, rng),
                   {"target_version": 1, "field": "category", "value": f["category"],
                    "reason": "登记时问题分类选择错误，按信访人实际反映内容更正"})
    if c.path == "unit_intake":
        t = _later(t, rng, 0, 1)
        yield Step(t, c.no, "notify_petitioner", sim.actor(intake, t, rng),
                   {"kind": "receipt", "method": "in_person", "content": "当场告知已登记接收"})
        yield from _handle(sim, c, intake, t, bureau=c.area["xfj"], transferred=False)
        return
    # triage at the petition bureau (art. 22): within 15 days, a few late
    last = add_calendar_days(local_date(t), 15).last_day
    t = _later(t, rng, 16, 25) if f["late_triage"] else _later(t, rng, 0, 6, last)
    officer = sim.actor(bureau, t, rng)
    if c.path == "politics_law":
        organ = c.area[rng.choice(["zfw", "fy"])]
        yield Step(t, c.no, "route_to_organ", officer,
                   {"organ_kind": "politics_law", "to_unit": organ,
                    "basis": "涉法涉诉，依照第二十二条第二款转同级政法机关依法处理"})
        t = _later(t, rng, 0, 3)
        yield Step(t, c.no, "notify_petitioner", sim.actor(bureau, t, rng),
                   {"kind": "redirect", "method": rng.choice(["written", "in_person"]),
                    "content": f"您反映的问题属于涉法涉诉事项，已转{sim.city.names[organ]}依法处理"})
        return
    if c.path == "discipline":
        yield Step(t, c.no, "route_to_organ", officer,
                   {"organ_kind": "discipline", "to_unit": c.area["jw"],
                    "basis": "属于纪检监察机关受理的检举控告，按照管理权限转送（第二十二条第三款）"})
        if not f["anonymous"]:
            t = _later(t, rng, 0, 3)
            yield Step(t, c.no, "notify_petitioner", sim.actor(bureau, t, rng),
                       {"kind": "route", "method": "written",
                        "content": f"已转{sim.city.names[c.area['jw']]}处理"})
        return
    if c.path == "refused" and rng.random() < 0.5:
        yield Step(t, c.no, "refuse", officer,
                   {"reason": "反映事项已由人民法院作出生效判决，不属于信访受理范围",
                    "basis": "第二十八条、第三十一条"})
        t = _later(t, rng, 0, 3)
        yield Step(t, c.no, "notify_petitioner", sim.actor(bureau, t, rng),
                   {"kind": "refusal", "method": "written", "content": "不予受理告知书"})
        return
    if c.path == "direct":
        yield Step(t, c.no, "handle_directly", officer, {"note": "事项简单，由信访部门直接办理"})
        yield from _handle(sim, c, bureau, t, bureau=bureau, transferred=False)
        return
    target = _competent(c)
    suffix = CATEGORY_UNIT.get(f["category"])
    if bureau.startswith("city-") and suffix and rng.random() < 0.3:
        target = sim.city.city[suffix]  # a city-level matter, for the city department
    first = target
    if c.path == "objection_upheld":  # misrouted to another department first
        first = next(c.area[s] for s in ("mzj", "zjj", "rsj") if c.area[s] != target)
    t = yield from _transfer(sim, c, bureau, first, t)
    yield from _handle(sim, c, first, t, bureau=bureau, transferred=True, right_unit=target)


def _transfer(sim: _Sim, c: _Case, bureau: str, to_unit: str, t: datetime) -> Life:
    rng = c.rng
    args: dict[str, Any] = {"to_unit": to_unit,
                            "note": "按照属地管理、分级负责，谁主管、谁负责的原则转送"}
    if c.path == "assign":
        due = local_date(t) + timedelta(days=rng.choice([30, 45, 60]))
        args.update(mode="assign", due_date=_day(due), note="重要信访事项，交办并要求报送办结报告")
    yield Step(t, c.no, "transfer", sim.actor(bureau, t, rng), args)
    t = _later(t, rng, 0, 2)
    yield Step(t, c.no, "notify_petitioner", sim.actor(bureau, t, rng),
               {"kind": "route", "method": rng.choice(["written", "sms", "online"]),
                "content": f"您的信访事项已转送{sim.city.names[to_unit]}办理"})
    return t


def _handle(sim: _Sim, c: _Case, unit: str, t: datetime, bureau: str, transferred: bool,
            right_unit: str | None = None) -> Life:
    """From receipt at ``unit`` to acceptance (or refusal, routing out, withdrawal), then on."""
    rng, f = c.rng, c.flags
    if transferred:
        t = _later(t, rng, 1, 4)
        yield Step(t, c.no, "receive", sim.actor(unit, t, rng))
        if c.path in ("objection_upheld", "objection_rejected") and not f.get("objected"):
            f["objected"] = True
            last = add_working_days(local_date(t), 5).last_day
            t = _later(t, rng, 1, 4, last)
            upheld = c.path == "objection_upheld"
            proper = sim.city.names[right_unit if upheld and right_unit else f["township"]]
            yield Step(t, c.no, "object_to_transfer", sim.actor(unit, t, rng),
                       {"reasons": f"该事项不属于本单位职责，应由{proper}依职责办理，请退回重新转送"})
            t = _later(t, rng, 1, 5)
            yield Step(t, c.no, "resolve_objection", sim.actor(bureau, t, rng, ("head",)),
                       {"resolution": "upheld" if upheld else "rejected",
                        "reason": "经核实异议成立" if upheld else
                        "经研究该事项属于你单位职责范围，请继续办理"})
            if upheld and right_unit:
                t = _later(t, rng, 0, 3)
                t = yield from _transfer(sim, c, bureau, right_unit, t)
                yield from _handle(sim, c, right_unit, t, bureau, True)
                return
    received = t
    if c.path == "route_out":
        item, procedure = ROUTE_OUT[f["category"]]
        t = _later(t, rng, 1, 8)
        yield Step(t, c.no, "route_out", sim.actor(unit, t, rng),
                   {"item": item, "procedure": procedure})
        t = _later(t, rng, 0, 3)
        yield Step(t, c.no, "notify_petitioner", sim.actor(unit, t, rng),
                   {"kind": "redirect", "method": "written",
                    "content": f"您反映的事项应通过{procedure}解决，请向有权机关提出"})
        return
    if c.path == "refused":
        t = _later(t, rng, 2, 10)
        yield Step(t, c.no, "refuse", sim.actor(unit, t, rng),
                   {"reason": "同一信访事项已在办理期限内，信访人又向本机关重复提出",
                    "basis": "第十九条第二款"})
        t = _later(t, rng, 0, 3)
        yield Step(t, c.no, "notify_petitioner", sim.actor(unit, t, rng),
                   {"kind": "refusal", "method": "written", "content": "不予受理告知书"})
        return
    if c.path == "withdrawn" and rng.random() < 0.3:
        t = _later(t, rng, 1, 6)
        yield Step(t, c.no, "withdraw", sim.actor(unit, t, rng),
                   {"reason": "信访人书面申请撤回：问题已经协商解决"})
        return
    last = add_calendar_days(local_date(received), 15).last_day
    t = _later(t, rng, 16, 30) if f["late_accept"] else _later(t, rng, 0, 10, last)
    yield Step(t, c.no, "accept", sim.actor(unit, t, rng))
    accepted = t
    t = _later(t, rng, 16, 22) if f["late_notice"] else _later(t, rng, 0, 3)
    yield Step(t, c.no, "notify_petitioner", sim.actor(unit, t, rng),
               {"kind": "acceptance", "method": rng.choice(["written", "sms", "in_person"]),
                "content": "受理告知书：您的信访事项已受理"})
    yield from _in_handling(sim, c, unit, t, accepted, bureau)


def _reply_day(c: _Case, accepted: datetime) -> tuple[date, int]:
    """When the reply is issued (on time, late, after an extension) and the extension's days."""
    rng, timing = c.rng, c.flags["timing"]
    start = local_date(accepted)
    due = add_calendar_days(start, 60).last_day
    if timing == "on_time":
        return min(_workday(start + timedelta(days=rng.randint(12, 55))), due), 0
    if timing == "late":
        return _workday(due + timedelta(days=rng.randint(1, 25))), 0
    days = rng.choice([15, 30])
    ext_due = add_calendar_days(due, days).last_day  # from the original expiry (art. 34)
    if timing == "extended_late":
        return _workday(ext_due + timedelta(days=rng.randint(1, 10))), days
    day = _workday(due + timedelta(days=rng.randint(1, max(1, (ext_due - due).days - 1))))
    return min(day, ext_due), days


def _in_handling(sim: _Sim, c: _Case, unit: str, t: datetime, accepted: datetime,
                 bureau: str) -> Life:
    """Acceptance to reply: handler, leader, notes, mediation, hearing, supervision, extension."""
    rng, f = c.rng, c.flags
    due = add_calendar_days(local_date(accepted), 60).last_day
    reply_day, ext_days = _reply_day(c, accepted)
    reply_at = max(_office_hours(reply_day, rng), t + 3 * DAY)
    end = reply_at - timedelta(hours=2)
    acts: list[Step] = []

    def some_time(lo: datetime, hi: datetime = end) -> datetime:
        return _between(lo, hi, rng)

    def act(at: datetime, command: str, actor: dict[str, Any], **args: Any) -> None:
        acts.append(Step(at, c.no, command, actor, args))

    handler_at = some_time(t, min(t + 3 * DAY, end))
    handler = rng.choice(sim.org.holders(unit, "handler", handler_at)
                         or sim.org.holders(unit, "petition_officer", handler_at))
    act(handler_at, "assign_handler", sim.actor(unit, handler_at, rng, ("petition_leader", "head")),
        person=handler)
    if f["leader"]:  # 领导包案: a county (or city) leader takes personal charge
        at = some_time(handler_at)
        leader = sim.holder_of("city" if unit.startswith("city-") else c.area.code,
                               rng.choice(["head", "petition_leader"]), at)
        if leader:
            act(at, "assign_leader", sim.actor(unit, at, rng), person=leader)
    place = sim.city.names.get(f["location"], "")
    for _ in range(rng.randint(0, 2)):
        at = some_time(handler_at)
        kind, text = rng.choice([
            ("investigation", f"承办人赴{place}实地调查核实，走访信访人及相关当事人并制作笔录"),
            ("investigation", "调取相关档案材料，核实政策依据和历史情况"),
            ("progress", "召开协调会，约谈相关责任单位，研究化解方案"),
            ("progress", "听取信访人意见，做好政策解释和情绪疏导")])
        act(at, "note", sim.actor(unit, at, rng, ("handler", "petition_officer")), kind=kind,
            text=text)
    if f["mediation"]:
        a = some_time(handler_at)
        b = some_time(a)
        secretary = sim.holder_of(f["village"], "village_secretary", a)
        act(a, "open_mediation", sim.actor(unit, a, rng),
            track=rng.choice(["people", "administrative", "petition", "industry"]),
            mediator=f"{sim.city.names[f['village']]}党组织书记{sim.name(secretary)}")
        outcome = _choose(rng, {"agreement": 5, "settlement": 2, "failed": 3})
        act(b, "conclude_mediation", sim.actor(unit, b, rng), outcome=outcome,
            agreement_digest=None if outcome == "failed" else _digest(c.no, "调解协议书"))
    if f["hearing"]:
        a = some_time(handler_at)
        act(a, "start_hearing", sim.actor(unit, a, rng))
        act(a + timedelta(hours=rng.randint(1, 3)), "end_hearing", sim.actor(unit, a, rng))
    if ext_days:  # approved by whoever is the head of the handling organ on that day
        at = _later(accepted, rng, 40, (due - local_date(accepted)).days - 2)
        act(at, "extend", sim.actor(unit, at, rng), days=ext_days,
            approver=sim.holder_of(unit, "head", at), petitioner_told=True,
            reason="案情复杂，需进一步调查核实和协调相关部门")
        told = _later(at, rng, 0, 1)
        act(told, "notify_petitioner", sim.actor(unit, told, rng), kind="extension",
            method="written", content=f"延期办理告知书：办理期限延长{ext_days}日")
    late = f["timing"] in ("late", "extended_late")
    if f["supervision"] or (late and rng.random() < 0.5):
        overdue = _office_hours(_workday(due + timedelta(days=ext_days + 1)), rng)
        at = overdue if late and overdue < end else some_time(min(t + 20 * DAY, end))
        supervisor = sim.city.city["lxhy"] if rng.random() < 0.15 else bureau
        act(at, "supervise", sim.actor(supervisor, at, rng),
            kind="listed" if supervisor.endswith("lxhy") else rng.choice(
                ["online", "phone", "written"]),
            due_date=_day(local_date(at) + timedelta(days=rng.randint(5, 10))), target_unit=unit,
            content="该事项已超过办理期限，请说明原因并尽快办结" if late else
            "请加快办理进度，按期办结并反馈")
        if f["supervision"] != "ignored":
            ans = _later(at, rng, 1, 7)
            acts.append(Step(ans, c.no, "answer_supervision", sim.actor(unit, ans, rng),
                             {"content": "已督促承办人加快办理，近期出具处理意见"},
                             late=_answer_for(unit)))
    acts.sort(key=lambda s: s.at)  # stable: a pair keeps its order at equal times
    if c.path == "withdrawn":
        at = some_time(handler_at)
        yield from (s for s in acts if s.at < at)
        yield Step(at, c.no, "withdraw", sim.actor(unit, at, rng),
                   {"reason": "信访人申请撤回：经调解双方已达成和解"})
        return
    yield from acts
    t = max([s.at for s in acts] + [t])
    yield from _reply(sim, c, unit, max(reply_at, t + timedelta(hours=1)), handler, bureau)


def _answer_for(unit: str) -> Callable[[CaseState], dict[str, Any]]:
    def late(state: CaseState) -> dict[str, Any]:
        return {"number": max(n for n, s in state.supervisions.items()
                              if s["target_unit"] == unit and not s["answered"])}
    return late


def _unanswered_for(unit: str) -> Callable[[CaseState], bool]:
    return lambda st: any(s["target_unit"] == unit and not s["answered"]
                          for s in st.supervisions.values())


def _reply(sim: _Sim, c: _Case, unit: str, t: datetime, handler: str, bureau: str) -> Life:
    """处理意见书: issue, approve, serve; a correction now and then; then what follows."""
    rng, f = c.rng, c.flags
    if not sim.org.posts_held(handler, unit, t):  # the handler has moved: a successor takes over
        handler = rng.choice(sim.org.holders(unit, "handler", t)
                             or sim.org.holders(unit, "petition_officer", t))
        yield Step(t, c.no, "assign_handler", sim.actor(unit, t, rng, ("petition_leader", "head")),
                   {"person": handler})
        t += timedelta(minutes=rng.randint(20, 120))
    request, facts = MATTERS.get(f["category"], MATTERS["C28"])
    yield Step(t, c.no, "issue_reply",
               {"unit": unit, "person": handler, "post": sim.org.posts_held(handler, unit, t)[0]},
               {"opinion": f["opinion"], "request": request, "facts_and_reasons": facts,
                "legal_basis": "《信访工作条例》第三十二条及相关法律政策规定",
                "rights_notice": "如对本处理意见不服，可自收到之日起30日内请求原办理机关的上一级机关复查",
                "document_digest": _digest(c.no, "处理意见书")})
    t = _later(t, rng, 0, 2)
    post = rng.choice(["head", "petition_leader"])
    approver = sim.holder_of(unit, post, t)
    if approver is None:
        post, approver = "head", sim.holder_of(unit, "head", t)
    yield Step(t, c.no, "approve_reply", {"unit": unit, "person": approver, "post": post},
               {"approver": approver})
    t = _later(t, rng, 1, 5)
    method = _choose(rng, {"in_person": 50, "post": 25, "electronic": 20, "left": 5})
    yield Step(t, c.no, "serve_reply", sim.actor(unit, t, rng),
               {"method": method, "outcome": "refused" if method == "left" else "signed"})
    served = t
    if f["correction"] == "service_time":
        t = _later(t, rng, 1, 2)
        served += timedelta(hours=rng.randint(1, 3))
        yield Step(t, c.no, "correct", sim.actor(unit, t, rng),
                   {"field": "occurred_at", "value": served.isoformat(),
                    "reason": "送达回证显示的实际送达时间与登记时间不符，据实更正"},
                   late=lambda st: {"target_version": st.served_version})
    elif f["correction"] == "phone":
        t = _later(t, rng, 0, 2)
        yield Step(t, c.no, "correct", sim.actor(f["registered_by"], t, rng),
                   {"field": "petitioners", "reason": "信访人联系电话登记有误，据信访人告知更正"},
                   late=_corrected_phone(rng))
    yield from _after_service(sim, c, unit, t, served, bureau)


def _corrected_phone(rng: random.Random) -> Callable[[CaseState], dict[str, Any]]:
    phone = f"1{rng.choice('3589')}{rng.randint(0, 10**9 - 1):09d}"

    def late(state: CaseState) -> dict[str, Any]:
        people = [dict(p) for p in state.reg["petitioners"]]
        people[0]["phone"] = phone
        return {"target_version": 1, "value": people}
    return late


def _merged(acts: list[Step], life: Life) -> Life:
    """Yield ``acts`` and the steps of ``life`` in business-time order; return life's value."""
    pending = sorted(acts, key=lambda s: s.at)
    while True:
        try:
            nxt = next(life)
        except StopIteration as stop:
            yield from pending
            return stop.value
        while pending and pending[0].at < nxt.at:
            yield pending.pop(0)
        yield nxt


def _after_service(sim: _Sim, c: _Case, unit: str, t: datetime, served: datetime,
                   bureau: str) -> Life:
    """Execution, the assignment report, evaluations, a follow-up visit, 复查 and 复核."""
    rng, f = c.rng, c.flags
    window = add_calendar_days(local_date(served), 30).last_day
    review_at = _later(t, rng, 3, 25, window) if f["review"] else None
    horizon = review_at or served + timedelta(days=45)
    acts: list[Step] = []
    if c.path == "assign":
        at = _later(t, rng, 0, 2)
        acts.append(Step(at, c.no, "report_assignment", sim.actor(unit, at, rng),
                         {"report": "已办结并送达处理意见书，信访人表示认可"}))
    if f["opinion"] == "support" and f["execution"]:
        at = _later(t, rng, 1, 20)
        if at < horizon:
            acts.append(Step(at, c.no, "record_execution", sim.actor(unit, at, rng),
                             {"details": "已按处理意见落实，相关款项已发放到位"}))
    if f["evaluate"]:
        via_bureau = bureau != unit and c.path != "unit_intake"
        recorder = bureau if c.path != "unit_intake" else unit
        for target in ["unit"] + (["bureau"] if via_bureau else []):
            if rng.random() < 0.08:  # 超期未评价: recorded when the window closes
                at, value = _office_hours(_workday(window + DAY), rng), "none"
            else:
                at = _later(t, rng, 1, 20, window)
                value = _choose(rng, {"satisfied": 70, "basically_satisfied": 18,
                                      "dissatisfied": 60 if f["review"] else 12})
            acts.append(Step(at, c.no, "evaluate", sim.actor(recorder, at, rng),
                             {"target": target, "value": value}))
    if not f["review"] and rng.random() < 0.3:
        at = _later(t, rng, 10, 40)
        acts.append(Step(at, c.no, "note", sim.actor(unit, at, rng),
                         {"kind": "visit", "text": "办结后回访，信访人表示认可处理结果"}))
    if f["opinion"] == "support" and not f["execution"]:
        at = _later(t, rng, 20, 40)
        acts.append(Step(at, c.no, "supervise", sim.actor(bureau, at, rng),
                         {"kind": "written", "target_unit": unit,
                          "due_date": _day(local_date(at) + timedelta(days=7)),
                          "content": "支持意见至今未落实，请限期落实并反馈"},
                         when=lambda st: st.execution_pending))
    if review_at is None:
        yield from sorted(acts, key=lambda s: s.at)
        return
    acts = [s for s in acts if s.at < review_at or s.command in ("evaluate", "supervise")]
    review_organ = sim.city.city["gov"] if unit.startswith("city-") else c.area["gov"]
    yield from _merged(acts, _reviews(sim, c, unit, review_organ, review_at))


def _reviews(sim: _Sim, c: _Case, unit: str, organ: str, t: datetime) -> Life:
    rng, f = c.rng, c.flags
    served = yield from _review(sim, c, organ, t, "review", f["review_opinion"])
    if f["review_opinion"] in ("revoke", "modify"):
        at = _later(served, rng, 5, 25)
        yield Step(at, c.no, "record_execution", sim.actor(unit, at, rng),
                   {"details": "已按复查意见重新作出处理并落实"})
    if f["review"] >= 2 and organ != sim.city.city["gov"]:
        window = add_calendar_days(local_date(served), 30).last_day
        at = _later(served, rng, 3, 25, window)
        if f["review_opinion"] in ("revoke", "modify"):
            at = _later(max(at, served + 26 * DAY), rng, 0, 0, window)
        yield from _review(sim, c, sim.city.city["gov"], at, "rereview", "uphold")


def _review(sim: _Sim, c: _Case, organ: str, t: datetime, level: str, opinion: str) -> Life:
    rng, f = c.rng, c.flags
    staff = ("handler", "petition_officer")
    yield Step(t, c.no, "request_review", sim.actor(organ, t, rng, staff),
               {"organ": organ, "level": level})
    t = _later(t, rng, 1, 5)
    yield Step(t, c.no, "accept_review", sim.actor(organ, t, rng, staff))
    last = add_calendar_days(local_date(t), 30).last_day
    if level == "rereview" and f["rereview_hearing"]:
        t = _later(t, rng, 5, 12)
        yield Step(t, c.no, "start_hearing", sim.actor(organ, t, rng, staff))
        t += timedelta(hours=rng.randint(1, 3))
        yield Step(t, c.no, "end_hearing", sim.actor(organ, t, rng, staff))
    t = _later(t, rng, 8, 26, last) if rng.random() < 0.93 else _later(t, rng, 31, 40)
    yield Step(t, c.no, "issue_review_opinion", sim.actor(organ, t, rng, ("head",
                                                                              "petition_leader")),
               {"opinion": opinion, "legal_basis": "《信访工作条例》第三十五条"
                if level == "review" else "《信访工作条例》第三十六条",
                "reasons": "原处理意见认定事实清楚，适用政策正确" if opinion == "uphold"
                else "原处理意见认定事实不清，予以纠正"})
    t = _later(t, rng, 1, 4)
    yield Step(t, c.no, "serve_review_opinion", sim.actor(organ, t, rng, staff),
               {"method": rng.choice(["in_person", "post"])})
    return t


# --- families: later petitions on the same matter ---------------------------------------------

def _settled(state: CaseState) -> bool:
    return state.status in ("served", "reviewed", "final")


def _later_petition(sim: _Sim, c: _Case, original: _Case) -> Life:
    """A second petition on an original's matter: a duplicate, a bypass visit, or a 回流."""
    rng, f = c.rng, c.flags
    if c.path == "duplicate":
        w = original.reg_at + timedelta(days=rng.randint(8, 25))
    elif c.path == "bypass":
        w = original.reg_at + timedelta(days=rng.randint(25, 40))
    else:  # 回流: some while after the original was concluded
        w = original.reg_at + timedelta(days=90)
        while True:
            yield Wait(w)
            if _settled(sim.state(original.no)):
                break
            w += timedelta(days=15)
        w += timedelta(days=rng.randint(10, 60))
    yield Wait(w)
    t = c.reg_at = _later(w, rng, 0, 1)
    of = original.flags
    f.update({k: of[k] for k in ("location", "category", "registered_category", "matter",
                                 "township", "village", "collective", "anonymous")})
    f["petitioners"] = sim.state(original.no).reg["petitioners"]
    if c.path == "bypass":
        bureau = sim.city.city["xfj"]
        f.update(bypass_of=original.no, channel="visit")
    else:
        bureau = original.area["xfj"]
        f.update(repeat_of=original.no, same_facts=c.path == "duplicate" or f["same_facts"])
    f["registered_by"] = bureau
    yield Step(t, c.no, "register", sim.actor(bureau, t, rng), _registration(c, sim))
    st, was = sim.state(c.no), sim.state(original.no).status
    t = _later(t, rng, 0, 3)
    officer = sim.actor(bureau, t, rng)
    if c.path == "duplicate":
        yield Step(t, c.no, "mark_repeat", officer,
                   {"original": original.no,
                    "reason": "同一信访人就同一事项再次来信，原事项正在办理中，作重复件处理"})
    elif c.path == "bypass":
        yield from _bypass(sim, c, original, bureau, t, was in ("accepted", "replied"))
    elif st.original_final and st.same_facts:  # art. 36 ¶3: not accepted again
        yield Step(t, c.no, "refuse", officer,
                   {"reason": "该事项已经复核终结，信访人以同一事实和理由再次提出",
                    "basis": "第三十六条第三款"})
        t = _later(t, rng, 0, 2)
        yield Step(t, c.no, "notify_petitioner", sim.actor(bureau, t, rng),
                   {"kind": "refusal", "method": "written", "content": "不再受理告知书"})
    elif st.same_facts:
        yield Step(t, c.no, "mark_repeat", officer,
                   {"original": original.no, "reason": "办结后以同一事实和理由再次信访，并入原件"})
    else:  # new facts and reasons: a new matter, for the unit that handled the original
        f.update(review=0, timing="on_time")
        unit = sim.state(original.no).holder or _competent(c)
        t = yield from _transfer(sim, c, bureau, unit, t)
        yield from _handle(sim, c, unit, t, bureau=bureau, transferred=True)


def _bypass(sim: _Sim, c: _Case, original: _Case, bureau: str, t: datetime,
            pending_below: bool) -> Life:
    """越级访 at the city bureau: not accepted again (art. 19) or merged; then traced down."""
    rng = c.rng
    officer = sim.actor(bureau, t, rng)
    if pending_below:
        yield Step(t, c.no, "refuse", officer,
                   {"reason": "该事项已由有权机关受理且在办理期限内，告知信访人等待办理结果",
                    "basis": "第十九条第三款"})
        t = _later(t, rng, 0, 1)
        yield Step(t, c.no, "notify_petitioner", sim.actor(bureau, t, rng),
                   {"kind": "refusal", "method": "in_person",
                    "content": "您反映的事项已在属地受理办理中，请等待办理结果"})
    else:
        yield Step(t, c.no, "mark_repeat", officer,
                   {"original": original.no, "reason": "越级走访，与原信访事项为同一事项，并入原件"})
    # 一竿子插到底: trace the visit down to the village secretary, grid head, household head
    grid, village = original.flags["location"], original.flags["village"]
    names = "、".join(sim.name(sim.holder_of(u, p, t)) for u, p in (
        (village, "village_secretary"), (grid, "grid_head"), (grid, "household_head")))
    t = _later(t, rng, 0, 2)
    yield Step(t, original.no, "note", sim.actor(bureau, t, rng),
               {"kind": "investigation",
                "text": f"越级访倒查：村书记、网格长、双联户长（{names}）未及时发现和化解"},
               when=lambda st: st.status in NOTE_STATUSES)
    holder = sim.state(original.no).holder
    if holder is None or holder == bureau:
        return
    t = _later(t, rng, 0, 1)
    yield Step(t, original.no, "supervise", sim.actor(bureau, t, rng),
               {"kind": "phone", "due_date": _day(local_date(t) + timedelta(days=5)),
                "target_unit": holder, "content": "信访人越级到市走访，请及时做好稳控化解并反馈"},
               when=lambda st: st.status in PENDING)
    t = _later(t, rng, 1, 4)
    yield Step(t, original.no, "answer_supervision", sim.actor(holder, t, rng),
               {"content": "已约见信访人做好解释疏导，正在加快办理"}, late=_answer_for(holder),
               when=_unanswered_for(holder))


# --- the driver -----------------------------------------------------------------------------

def _schedule(sim: _Sim, lives: list[Life]) -> None:
    """Run the acts of all lives in business-time order; acts after the cut-off are not done."""
    heap: list[tuple[datetime, int, Step | Wait, Life]] = []
    order = itertools.count()

    def advance(life: Life) -> None:
        nxt = next(life, None)
        if nxt is not None:
            heapq.heappush(heap, (nxt.at, next(order), nxt, life))

    for life in lives:
        advance(life)
    while heap:
        at, _, act, life = heapq.heappop(heap)
        if at > sim.cutoff:
            continue  # the rest of this case lies after the cut-off: it stays open
        if isinstance(act, Step):
            sim.run(act)
        advance(life)


def _plan(n_cases: int, seed: int, start: date, end: date,
          city: _City) -> Iterator[list[_Case]]:
    """Families of cases (an original, then its later petitions), numbered and dated; made
    lazily, so a city-year of many thousands of cases is never all in memory."""
    rng = random.Random(f"plan/{seed}")
    span = (end - start).days
    i = k = 0
    while i < n_cases:
        path, forced = FORCED[k] if k < len(FORCED) else (_choose(rng, PATHS), {})
        if path in FAMILIES and i + 2 > n_cases:
            path, forced = "transfer", {}
        lead = 360 if path == "repeat_after" or forced.get("review") == 2 else 150
        if k < len(FORCED):  # the cases that cover every path start early enough to finish
            offset = rng.randint(0, min(160, max(0, span - lead)))
        elif path in FAMILIES:  # early enough for the later petition, in a short window too
            offset = rng.randint(0, max(span // 3, span - lead))
        else:
            offset = rng.randint(0, span)
        day = _workday(start + timedelta(days=offset))
        while day > end and day > start:  # keep registration days within [start, end]
            day -= DAY
        case_rng = random.Random(f"case/{seed}/{i}")
        if path in FAMILIES:  # the original: a plain matter that runs its course
            review = 2 if forced.get("final") or (path == "repeat_after" and case_rng.random() <
                                                 0.5) else int(path == "repeat_after")
            flags = _profile("transfer", case_rng, city, {
                "timing": "on_time", "intake": "county", "review": review,
                "review_opinion": "uphold", "opinion": "not_support" if review else "explain",
                "correction": ""})
        else:
            flags = _profile(path, case_rng, city, forced)
        reg_at = _office_hours(day, case_rng)
        family = [_Case(f"XF{day:%Y%m%d}{i + 1:05d}", "transfer" if path in FAMILIES else path,
                        case_rng, reg_at, flags["area"], flags)]
        if path in FAMILIES:
            later_rng = random.Random(f"case/{seed}/{i + 1}")
            later = _profile("transfer", later_rng, city, {})
            later["same_facts"] = forced.get("same_facts", later_rng.random() < 0.6)
            family.append(_Case(f"XF{day:%Y%m%d}{i + 2:05d}", path, later_rng, reg_at,
                                flags["area"], later))
        yield family
        i += len(family)
        k += 1


def generate_cases(app: Casetrail, spec: dict[str, Any], n_cases: int, seed: int, start: date,
                   end: date, batch_size: int = 200) -> dict[str, Any]:
    """Create about ``n_cases`` cases registered from ``start`` on, through the real commands.

    Each case's registration and all its acts go into one ``Batch`` (one transaction) with other
    cases, about ``batch_size`` cases per batch. ``spec`` (from :func:`build_city_spec`) must be
    loaded into ``app`` already. No act is later than ``end`` or the app's clock: cases whose
    next act would be are left open. Deterministic: same app clock, spec, seed and dates, same
    histories. A later petition whose moment falls after the cut-off is not registered, so the
    count can fall a little short of ``n_cases``. Case numbers are ``XF<registration date><index>``:
    generate into a store that holds no demo cases yet.
    """
    city = _City.of(spec)
    if city.city["xfj"] not in app.refresh_org().units:
        raise ValueError("load the organisation spec into the application first")
    cutoff = min(app.clock(), datetime.combine(end, time(23, 59), TZ))
    sim = _Sim(app, city, cutoff)
    summary: dict[str, Any] = {"cases": 0, "events": 0, "batches": 0, "open": 0,
                               "skipped_decisions": 0, "paths": Counter(), "statuses": Counter(),
                               "event_kinds": Counter(), "handling": Counter(), "examples": {},
                               "showcase": None}
    chunk: list[list[_Case]] = []
    for family in _plan(n_cases, seed, start, end, city):
        if chunk and sum(map(len, chunk)) + len(family) > batch_size:
            _run_chunk(sim, chunk, summary)
            chunk = []
        chunk.append(family)
    if chunk:
        _run_chunk(sim, chunk, summary)
    summary["skipped_decisions"] = sim.skipped
    for key in ("paths", "statuses", "event_kinds", "handling"):
        summary[key] = dict(sorted(summary[key].items()))
    return summary


def _run_chunk(sim: _Sim, chunk: list[list[_Case]], summary: dict[str, Any]) -> None:
    if isinstance(sim.app.clock, SimClock):
        sim.app.clock.start_batch()
    sim.batch = Batch(sim.app)
    sim.org = sim.batch.org
    lives = [_primary(sim, family[0]) for family in chunk]
    lives += [_later_petition(sim, c, family[0]) for family in chunk for c in family[1:]]
    _schedule(sim, lives)
    sim.batch.commit()
    summary["batches"] += 1
    for case in (c for family in chunk for c in family):
        agg = sim.batch.cases.get(case.no)
        if agg is None:
            continue
        status = agg.state.status
        kinds = [fact.kind for fact in agg.facts]
        summary["cases"] += 1
        summary["events"] += len(kinds)
        summary["paths"][case.path] += 1
        summary["statuses"][status] += 1
        summary["open"] += status in PENDING or status == "registered"
        summary["event_kinds"].update(kinds)
        summary["handling"][_timeliness(agg.facts, sim.cutoff)] += 1
        summary["examples"].setdefault(case.path, case.no)
        if summary["showcase"] is None and kinds.count("Transferred") >= 2 and \
                "ExtensionGranted" in kinds and "ReviewRequested" in kinds:
            summary["showcase"] = case.no


def _timeliness(facts: list[Any], cutoff: datetime) -> str:
    """How the 60-day handling clock (31(六) track, plus extensions) went for one case."""
    accepted = next((f for f in facts if f.kind == "Accepted"), None)
    if accepted is None or accepted.data["track"] != "art31_6":
        return "no_clock"
    days = 60 + sum(f.data["days"] for f in facts if f.kind == "ExtensionGranted")
    due = add_calendar_days(local_date(accepted.occurred_at), days).last_day
    reply = next((f for f in facts if f.kind == "ReplyIssued"), None)
    if reply is not None:
        return "on_time" if local_date(reply.occurred_at) <= due else "late"
    if facts[-1].kind == "Withdrawn":
        return "withdrawn"
    return "open_overdue" if local_date(cutoff) > due else "open_in_time"


def run_demo(url: str | None, cases: int = 300, seed: int = 7) -> dict[str, Any]:
    """Create the app on ``url``, load the demo city, generate ``cases`` cases from 2025-01-01
    to 2026-11-20; return the summary and one case worth showing (``show``: transfers, an
    extension and a review)."""
    clock = SimClock(datetime.combine(DEMO_END, time(20, 0), TZ))
    app = Casetrail(url, clock=clock)
    try:
        started = _time.perf_counter()
        spec = build_city_spec(seed)
        summary = {"org_events": app.load_organisation(spec, recorded_by="demo")}
        summary.update(generate_cases(app, spec, cases, seed, DEMO_START, DEMO_END))
        summary["seconds"] = round(_time.perf_counter() - started, 2)
        summary["show"] = summary["showcase"]
        return summary
    finally:
        app.close()
