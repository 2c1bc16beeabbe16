Feature: What was due, and when (法定期限)
  A supervisor reads each statutory clock of a case: when it started, its last day under the
  holiday calendar, and whether on a given day it was running, paused, breached, met or met late.
  Periods follow 民法典 arts. 201 and 203: the start day is not counted, and a last day that falls
  on a rest day moves to the next working day.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file

  Scenario: A triage deadline that lands on National Day
    Given 伊州区信访局 registered case A on 2025-09-16
    Then the 分流转办期限 of case A ends on 2025-10-09
    And on 2025-10-09 the 分流转办期限 of case A is 计时中
    And on 2025-10-10 the 分流转办期限 of case A is 已超期

  Scenario: The days of a 复核 hearing are not counted
    Given case A reached 复核 at 哈密市人民政府 on 2026-03-02
    And 哈密市人民政府 held a hearing on case A from 2026-03-10 to 2026-03-12
    Then the 复核期限 of case A ends on 2026-04-07
    And on 2026-03-11 the 复核期限 of case A is 暂停计时

  Rule: An extension (art. 34) lengthens the handling limit from the day that limit really ended
    The 60 days from 2026-03-02 end on 2026-05-01, Labour Day; the holiday runs to 05-05, so the
    limit ends on 2026-05-06. An extension of 20 days runs from there: 2026-05-26.

    Scenario: A reply within the extended limit is on time
      Given 伊州区住房和城乡建设局 registered case A on 2026-03-02
      And 伊州区住房和城乡建设局 accepted case A on 2026-03-02
      And 伊州区住房和城乡建设局 extended case A by 20 days on 2026-04-20, approved by 赵磊
      When 伊州区住房和城乡建设局 issues its reply on case A on 2026-05-22
      Then the 办理期限 of case A ends on 2026-05-26
      And on 2026-04-19 the 办理期限 of case A ended on 2026-05-06
      And the 办理期限 of case A was met

    Scenario: A reply after the extended limit is one day late
      Given 伊州区住房和城乡建设局 registered case A on 2026-03-02
      And 伊州区住房和城乡建设局 accepted case A on 2026-03-02
      And 伊州区住房和城乡建设局 extended case A by 20 days on 2026-04-20, approved by 赵磊
      When 伊州区住房和城乡建设局 issues its reply on case A on 2026-05-27
      Then the 办理期限 of case A ends on 2026-05-26
      And the 办理期限 of case A was met 1 day late
