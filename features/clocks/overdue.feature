Feature: The overdue list names only deadlines really missed
  A clock on the overdue list (逾期清单) accuses the unit that holds it. A clock whose days are not
  being counted (a 复核 hearing, art. 36) or whose last day is not known yet (the holiday calendar
  of its year is not published: the last day may still roll forward) is not overdue, and a reply
  given after such a provisional last day is not yet "late".

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file

  Scenario: A 复核 in a hearing past its original last day is not overdue
    Given case A reached 复核 at 哈密市人民政府 on 2026-03-02
    And 哈密市人民政府 opened a hearing on case A on 2026-03-30
    Then on 2026-04-03 the 复核期限 of case A is 暂停计时
    And on 2026-04-03 the overdue list does not name the 复核期限 of case A
    And on 2026-04-03 the overdue search agrees with the overdue list on case A

  Scenario: Without the hearing the same 复核 is overdue the day after its last day
    Given case A reached 复核 at 哈密市人民政府 on 2026-03-02
    Then on 2026-04-01 the 复核期限 of case A is 计时中
    And on 2026-04-02 the overdue list names the 复核期限 of case A
    And on 2026-04-02 the overdue search agrees with the overdue list on case A

  Scenario: A handling limit ending in a year without a published calendar is not overdue
    Given today is 2027-03-01
    And 伊州区住房和城乡建设局 registered case B on 2026-12-10
    And 伊州区住房和城乡建设局 accepted case B on 2026-12-10
    Then the 办理期限 of case B ends on 2027-02-08
    And on 2027-02-10 the 办理期限 of case B is 待定
    And on 2027-02-10 the overdue list does not name the 办理期限 of case B
    And on 2027-02-10 the overdue search agrees with the overdue list on case B

  Scenario: A reply after a provisional last day is not yet late
    Given today is 2027-03-01
    And 伊州区住房和城乡建设局 registered case B on 2026-12-10
    And 伊州区住房和城乡建设局 accepted case B on 2026-12-10
    When 伊州区住房和城乡建设局 issues its reply on case B on 2027-02-10
    Then on 2027-03-01 the 办理期限 of case B is 待定
