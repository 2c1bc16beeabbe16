"""The people of a simulated city: names (Han and minority), drawn without repeats."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["SURNAMES", "GIVEN", "MINORITY_FIRST", "MINORITY_FATHER", "Names"]


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
class Names:
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
