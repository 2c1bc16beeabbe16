Feature: Handling a grievance and extending its time limit (办理与延期)
  The unit that accepted a grievance names a handler, may put a leader in personal charge (包案),
  may mediate or hold a hearing, and must conclude within 60 days. If the matter is complex the
  head of the handling unit (负责人) may extend the limit, by no more than 30 days in total
  (《信访工作条例》 arts. 18, 31(六), 33, 34). At 伊州区住房和城乡建设局 王军 was head until
  1 March 2026; 赵磊 has been head since.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2026-01-05
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2026-01-06
    And 伊州区住房和城乡建设局 signed for case A on 2026-01-07
    And 伊州区住房和城乡建设局 accepted case A on 2026-01-08

  Rule: The handler works in the handling unit on the day of the assignment

    Scenario: 李娜 is made the handler
      When 伊州区住房和城乡建设局 makes 李娜 the handler of case A on 2026-01-09
      Then 李娜 is the handler of case A

    Scenario: 李娜 cannot be made the handler after she moved to the labour bureau
      When 伊州区住房和城乡建设局 makes 李娜 the handler of case A on 2026-06-02
      Then the step is refused with "handler.not_in_unit"
      And nothing was recorded

  Rule: Leaders take personal charge, mediate and hear

    Scenario: The leader in charge of petition work takes the case in personal charge (包案)
      When 伊州区住房和城乡建设局 puts case A in the personal charge (包案) of 陈静 on 2026-01-10
      Then 陈静 is in personal charge of case A

    Scenario: A people's mediation ends in an agreement
      Given 伊州区住房和城乡建设局 opened a mediation (人民调解) on case A on 2026-01-15
      When 伊州区住房和城乡建设局 concludes the mediation on case A on 2026-01-20: 达成调解协议
      Then the mediation on case A ended with 达成调解协议

    Scenario: A hearing is opened on a complex matter
      When 伊州区住房和城乡建设局 opens a hearing (听证) on case A on 2026-01-20
      Then case A has a hearing open

    Scenario: The hearing is closed
      Given 伊州区住房和城乡建设局 opened a hearing (听证) on case A on 2026-01-20
      When 伊州区住房和城乡建设局 closes the hearing on case A on 2026-01-21
      Then case A has no hearing open

  Rule: An extension is approved by whoever is head of the handling unit on that day

    Scenario: 王军 approves an extension while he is head
      When 伊州区住房和城乡建设局 extends case A by 20 days on 2026-02-27, approved by 王军
      Then case A has been extended by 20 days in total, the last approved by 王军

    Scenario: 赵磊 approves an extension after he became head
      When 伊州区住房和城乡建设局 extends case A by 30 days on 2026-03-05, approved by 赵磊
      Then case A has been extended by 30 days in total, the last approved by 赵磊

    Scenario: 王军 can no longer approve an extension once he has left the head post
      When 伊州区住房和城乡建设局 extends case A by 20 days on 2026-03-05, approved by 王军
      Then the step is refused with "extension.approver_not_head"
      And nothing was recorded

    Scenario: 赵磊 cannot approve an extension before he became head
      When 伊州区住房和城乡建设局 extends case A by 20 days on 2026-02-27, approved by 赵磊
      Then the step is refused with "extension.approver_not_head"
      And nothing was recorded

    Scenario: The leader in charge of petition work is not the head and cannot approve
      When 伊州区住房和城乡建设局 extends case A by 20 days on 2026-02-27, approved by 陈静
      Then the step is refused with "extension.approver_not_head"
      And nothing was recorded

  Rule: Extensions total no more than 30 days

    Scenario: Two extensions that reach exactly 30 days are allowed
      Given 伊州区住房和城乡建设局 extended case A by 20 days on 2026-02-27, approved by 王军
      When 伊州区住房和城乡建设局 extends case A by 10 days on 2026-03-05, approved by 赵磊
      Then case A has been extended by 30 days in total, the last approved by 赵磊

    Scenario: A second extension that would pass 30 days in total is refused
      Given 伊州区住房和城乡建设局 extended case A by 20 days on 2026-02-27, approved by 王军
      When 伊州区住房和城乡建设局 extends case A by 11 days on 2026-03-05, approved by 赵磊
      Then the step is refused with "extension.over_30"
      And nothing was recorded
      And case A has been extended by 20 days in total, the last approved by 王军

    Scenario: An accusation has no 60-day petition limit to extend
      Given 伊州区住房和城乡建设局 registered case B on 2026-01-05 with:
        | 信访形式 | 来信     |
        | 事项类型 | 检举控告 |
        | 被反映人 | 王某     |
      And 伊州区住房和城乡建设局 accepted case B on 2026-01-06
      When 伊州区住房和城乡建设局 extends case B by 10 days on 2026-02-27, approved by 王军
      Then the step is refused with "extension.no_clock"
      And nothing was recorded
