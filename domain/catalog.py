"""Vocabularies of the domain, as data: channels, matter types, tracks, opinions, posts, categories.

Every code is a stable English identifier; every value carries its Chinese name for what users read.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

# 信访形式 (art. 17) plus agent filing 代办
CHANNELS = {
    "letter": "来信", "visit": "来访", "online": "网上信访", "phone": "电话", "fax": "传真",
    "agent": "代办",
}
# 信访事项类型 (arts. 29–31)
MATTER_TYPES = {"suggestion": "建议意见", "accusation": "检举控告", "grievance": "申诉求决"}
# The procedure an accepted matter follows: 31(六) is the petition track with the 60-day clock.
TRACK_OF_MATTER = {"suggestion": "art29", "accusation": "art30", "grievance": "art31_6"}
TRACKS = {"art29": "第二十九条 建议意见办理", "art30": "第三十条 检举控告办理",
          "art31_6": "第三十一条第（六）项 信访程序"}
# 依法分类处理: the statutory procedures a grievance is routed out to (art. 31(一)–(五))
ROUTE_OUT_ITEMS = {
    "31_1": "诉讼、复议、检察、公安程序", "31_2": "仲裁", "31_3": "党员申诉、申请复审",
    "31_4": "行政复议、裁决、确认、许可、处罚等行政程序", "31_5": "履行职责或答复",
}
# organs a petition bureau routes to instead of transferring (art. 22 ¶2–3)
ROUTE_ORGANS = {"politics_law": "政法机关", "discipline": "纪检监察机关"}
OPINIONS = {"support": "支持", "explain": "解释说明", "not_support": "不予支持"}
REVIEW_OPINIONS = {"uphold": "维持", "revoke": "撤销", "modify": "变更"}
SERVICE_METHODS = {"in_person": "直接送达", "post": "邮寄送达", "electronic": "电子送达",
                   "left": "留置送达", "public": "公告送达", "other": "其他"}
SERVICE_OUTCOMES = {"signed": "签收", "refused": "拒收"}
NOTICE_KINDS = {"receipt": "接收告知", "route": "处理途径告知", "acceptance": "受理告知",
                "refusal": "不予受理告知", "redirect": "告知向有权机关提出", "extension": "延期告知",
                "other": "其他告知"}
NOTICE_METHODS = {"written": "书面", "in_person": "当面", "post": "邮寄", "sms": "短信",
                  "online": "网上", "phone": "电话"}
EVALUATION_TARGETS = {"bureau": "信访部门", "unit": "责任单位"}
EVALUATION_VALUES = {"satisfied": "满意", "basically_satisfied": "基本满意",
                     "dissatisfied": "不满意", "none": "超期未评价"}
SUPERVISION_KINDS = {"online": "网上督办", "phone": "电话督办", "written": "书面督办",
                     "onsite": "实地督办", "listed": "挂牌督办"}
MEDIATION_TRACKS = {"petition": "信访调解", "people": "人民调解", "administrative": "行政调解",
                    "industry": "行业调解", "judicial": "司法调解"}
MEDIATION_OUTCOMES = {"agreement": "达成调解协议", "settlement": "达成和解协议", "failed": "调解不成"}
OBJECTION_RESOLUTIONS = {"upheld": "异议成立，退回重新转送", "rejected": "异议不成立，继续办理"}
# Unit kinds: what a unit does. Levels (city … grid) are data of the organisation file.
UNIT_KINDS = {
    "territorial": "属地党委政府/组织", "department": "职能部门", "petition_bureau": "信访部门",
    "review_organ": "复查复核机关", "politics_law": "政法机关", "discipline": "纪检监察机关",
    "joint_conference": "信访工作联席会议", "other": "其他单位",
}
SUPERVISING_KINDS = frozenset({"petition_bureau", "joint_conference", "discipline"})
# Posts held over time. Organisation files may declare more.
POSTS = {
    "head": "负责人", "petition_leader": "分管领导", "petition_officer": "信访专干",
    "grid_head": "网格长", "household_head": "双联户长", "handler": "承办人",
    "secretary": "党组织书记", "grid_worker": "网格员",
}
HEAD_POSTS = frozenset({"head"})
LEADER_POSTS = frozenset({"head", "petition_leader", "secretary"})
REPLY_APPROVER_POSTS = frozenset({"head", "petition_leader"})


@cache
def categories() -> dict[str, dict[str, str]]:
    data = yaml.safe_load((Path(__file__).parent / "data" / "categories.yaml").read_text("utf-8"))
    return {c["code"]: c for c in data["categories"]}


@cache
def category_names() -> dict[str, str]:
    return {code: c["zh"] for code, c in categories().items()}


def label(vocab: dict[str, str], code: str | None) -> str:
    return vocab.get(code or "", code or "")

# What each case event is called in a timeline
EVENT_ZH = {
    "Registered": "登记", "Transferred": "转送/交办", "HandledDirectly": "信访部门直接办理",
    "RoutedToOrgan": "移交政法/纪检监察机关", "RoutedOut": "导入法定途径（第三十一条）",
    "MarkedRepeat": "作重复件合并", "Received": "签收", "ObjectionRaised": "提出异议",
    "ObjectionResolved": "异议处理", "PetitionerNotified": "告知信访人", "Accepted": "受理",
    "AcceptanceRefused": "不予受理", "HandlerAssigned": "确定承办人", "LeaderAssigned": "领导包案",
    "Noted": "办理记录", "MediationOpened": "开始调解", "MediationConcluded": "调解结束",
    "HearingStarted": "听证开始", "HearingEnded": "听证结束", "ExtensionGranted": "延期",
    "ReplyIssued": "出具处理意见书", "ReplyApproved": "处理意见书审批", "ReplyServed": "送达",
    "OpinionExecuted": "落实处理意见", "Evaluated": "满意度评价", "ReviewRequested": "申请复查/复核",
    "ReviewAccepted": "受理复查/复核", "ReviewOpinionIssued": "出具复查/复核意见",
    "ReviewOpinionServed": "送达复查/复核意见", "SupervisionIssued": "督办",
    "SupervisionAnswered": "督办反馈", "AssignmentReported": "交办件办结报告",
    "LinkedPetition": "关联后续信访（重复/越级）", "Withdrawn": "撤回", "Corrected": "更正",
}
