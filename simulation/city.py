"""The demo city: a prefecture-level city modelled on 哈密市 in the org-file format, and an index
of it (areas, their organs and territory) for the generator."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from simulation.people import Names
from simulation.timing import iso_day

__all__ = ["CITY_NAME", "COMMUNITIES", "COUNTIES", "DEPARTMENTS", "VILLAGES", "Area", "City",
           "build_city_spec"]


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


def build_city_spec(seed: int, counties: int = 4, townships_per_county: int = 6,
                    villages_per_township: int = 4) -> dict[str, Any]:
    """A prefecture-level city in the org-file format; same seed, same city (people, posts)."""
    rng = random.Random(f"city/{seed}")
    names = Names(rng)
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
        current["until"] = iso_day(on)
        appoint(unit_code, post, iso_day(on))

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
                        iso_day(date(2025, rng.randint(9, 12), rng.randint(1, 28))))
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
class Area:
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
class City:
    city: Area
    counties: list[Area]
    parent: dict[str, str]
    names: dict[str, str]

    @classmethod
    def of(cls, spec: dict[str, Any]) -> City:
        units = spec["units"]
        parent = {u["code"]: u.get("parent") for u in units}
        names = {u["code"]: u["name"] for u in units}
        areas = {u["code"]: Area(u["code"], u["name"], "6505")
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
